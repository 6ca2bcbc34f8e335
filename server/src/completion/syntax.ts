// The syntax gate: a suggestion must not make the code worse where a parser can tell. Each candidate is
// parsed in its document (tree-sitter, the grammars' own .wasm files from npm, bundled into dist/grammars by
// esbuild.mjs) and judged against the document without it (syntaxVerdict.ts): clean, unfinished (its new
// errors are those of code still being typed, which typing on from its end closes) or wrong. Unfinished code
// is what typing by hand leaves at every keystroke, so clean and unfinished suggestions are shown. A wrong
// one first loses stutters (a token written twice where the error is), then is cut back to its longest
// prefix before its first wrong error, at a line end (a block) or a token end (its first line), that is not
// wrong, or withheld.
// Parsing is incremental (tree.edit): the document's tree from the one parsed at the last request, each
// candidate's from the document's. The verdict reads only where the errors are, which tree-sitter's
// incremental parse gives as a fresh parse would, so the same text gets the same verdict.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Edit, Language, Parser, type Point, type Tree } from 'web-tree-sitter';
import type { Suggestion } from './postprocess';
import { brackets, judge, readableErrors, stutters, syntaxErrors, type Parse, type Parsed, type Verdict } from './syntaxVerdict';

export type { Verdict } from './syntaxVerdict';

/** The grammar file of each language id the gate checks (others pass through), and the npm package holding it. */
const grammarFiles: Record<string, { file: string; pkg: string }> = {
  typescript: { file: 'tree-sitter-typescript.wasm', pkg: 'tree-sitter-typescript' },
  typescriptreact: { file: 'tree-sitter-tsx.wasm', pkg: 'tree-sitter-typescript' },
  // The JavaScript grammar parses JSX too.
  javascript: { file: 'tree-sitter-javascript.wasm', pkg: 'tree-sitter-javascript' },
  javascriptreact: { file: 'tree-sitter-javascript.wasm', pkg: 'tree-sitter-javascript' },
  python: { file: 'tree-sitter-python.wasm', pkg: 'tree-sitter-python' },
};

/** Most candidate prefixes parsed for one suggestion (each an incremental parse, well under a millisecond). */
const maxTries = 12;

/** The gate's window around the cursor (gateWindow): characters before and after it, and how far an edge may move. */
const windowBefore = 4000;
const windowAfter = 2000;
const windowSlack = 2000;

/**
 * Longest document the gate parses whole when the window around the cursor reads as broken (about 8,000 lines).
 * Parsing is linear in the text: in a 10 MB file it took ~0.8 s per suggestion, and the tree grew the parser's
 * WebAssembly memory, which never shrinks, by hundreds of MB (`npm run bench:soak`, its 10 MB document). Past it,
 * a suggestion where the window is broken passes unchecked, as in any document the parser cannot read.
 */
const wholeLimit = 300_000;

/** Most stutters taken out of one suggestion. */
const maxRepairs = 3;

/**
 * Where a .wasm file lies: dist/grammars/ in the bundle and the VSIX (esbuild.mjs copies them there), else
 * the npm package (a source checkout run through tsx: tests and the benchmark).
 */
function wasmPath(file: string, pkg: string): string {
  const bundled = path.join(__dirname, 'grammars', file);
  return existsSync(bundled) ? bundled : require.resolve(`${pkg}/${file}`);
}

let runtime: Promise<void> | undefined;
function initRuntime(): Promise<void> {
  runtime ??= Parser.init({ locateFile: (name: string) => wasmPath(name, 'web-tree-sitter') });
  return runtime;
}

function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/**
 * The part of the text the gate parses around the cursor, as large as the benchmark's held-out windows
 * (bench/data: up to 4,000 characters before the cursor, 2,000 after): in a long file a broken candidate
 * makes the parser recover through everything after it (10-300 ms a request on a 2,500-line file). Each edge
 * lies at a line start, moved out by up to `windowSlack` characters to the least indented line there that
 * does not start with a closer, so the window cuts as few blocks in two as it can (the gate parses the whole text when the window still reads as
 * broken).
 */
export function gateWindow(text: string, offset: number): { start: number; end: number } {
  const indent = (at: number) => /^[ \t]*/.exec(text.slice(at, at + 200))![0].length;
  // Blank lines, and lines that close a block (their opener would lie outside), make poor edges.
  const blank = (at: number) => /^[ \t]*(\r?\n|$|[)\]}])/.test(text.slice(at, at + 200));
  /** The line start in [from, to] (line starts both) with the least indentation, the nearest to `near` of those. */
  const leastIndented = (from: number, to: number, near: number) => {
    let best = near;
    for (let at = from; at <= to && at >= 0; at = text.indexOf('\n', at) + 1 || Infinity) {
      if (blank(at)) continue;
      const better = indent(at) < indent(best) || (indent(at) === indent(best) && Math.abs(at - near) < Math.abs(best - near));
      if (better || blank(best)) best = at;
    }
    return best;
  };
  const lineStart = (at: number) => text.lastIndexOf('\n', at - 1) + 1;
  let start = 0;
  if (offset > windowBefore + windowSlack) {
    const near = lineStart(offset - windowBefore);
    start = leastIndented(lineStart(near - windowSlack), near, near);
  }
  let end = text.length;
  if (text.length - offset > windowAfter + windowSlack) {
    const near = lineStart(offset + windowAfter);
    end = leastIndented(near, lineStart(near + windowSlack), near);
  }
  return { start, end };
}

/** Prefixes of `text` to try, longest first: line ends for a block, then token ends within its first line. */
export function cutPoints(text: string, eol: string): string[] {
  const lines = text.split(eol);
  const wholeLines = text.endsWith(eol);
  const out: string[] = [];
  for (let k = lines.length - 1; k >= 1; k--) {
    const kept = lines.slice(0, k).join(eol).trimEnd();
    const cut = wholeLines ? kept + eol : kept;
    if (kept.trim() !== '' && cut !== text && !out.includes(cut)) out.push(cut);
  }
  const first = lines[0];
  const ends = [...first.matchAll(/[A-Za-z0-9_$]+|[^\sA-Za-z0-9_$]/g)].map((m) => m.index + m[0].length);
  for (let i = ends.length - 1; i >= 0; i--) {
    const kept = first.slice(0, ends[i]);
    if (kept !== text && !out.includes(kept)) out.push(kept);
  }
  return out;
}

/** The edit that turns `before` into `after`: one replaced range between their common head and tail. */
export function textEdit(before: string, after: string): Edit {
  const n = Math.min(before.length, after.length);
  let head = 0;
  while (head < n && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < n - head && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return new Edit({
    startIndex: head,
    oldEndIndex: before.length - tail,
    newEndIndex: after.length - tail,
    startPosition: pointAt(before, head),
    oldEndPosition: pointAt(before, before.length - tail),
    newEndPosition: pointAt(after, after.length - tail),
  });
}

/** Which text a kept tree is of: the window around the cursor, or the whole document (gateWindow). */
type Slot = 'window' | 'whole';

interface LoadedGrammar {
  parser: Parser;
  /** The last text parsed for each slot, kept for the candidates in the same text and the next request's edit. */
  base: Partial<Record<Slot, { text: string; tree: Tree }>>;
}

export class SyntaxGate {
  private readonly loading = new Map<string, Promise<LoadedGrammar | null>>();
  /** Parses done by the last `check` (for tests and the benchmark). */
  lastParses = 0;

  constructor(
    private readonly log: (message: string) => void = () => {},
    /** The grammar of each checked language id (tests give a broken one). */
    private readonly grammars: Record<string, { file: string; pkg: string }> = grammarFiles,
  ) {}

  /**
   * Starts loading the grammars of `languageIds` (default: every checked language) in the background, so that
   * a suggestion does not wait for one. Languages the gate does not check are passed over.
   */
  preload(languageIds: readonly string[] = Object.keys(this.grammars)): void {
    for (const languageId of languageIds) void this.grammar(languageId);
  }

  private grammar(languageId: string): Promise<LoadedGrammar | null> {
    const spec = Object.hasOwn(this.grammars, languageId) ? this.grammars[languageId] : undefined;
    if (!spec) return Promise.resolve(null);
    let loaded = this.loading.get(spec.file);
    if (!loaded) {
      loaded = (async () => {
        await initRuntime();
        const language = await Language.load(await readFile(wasmPath(spec.file, spec.pkg)));
        const parser = new Parser();
        parser.setLanguage(language);
        return { parser, base: {} };
      })().catch((e: unknown) => {
        this.log(
          `syntax check off for ${languageId}: its grammar ${spec.file} did not load (${e instanceof Error ? e.message : String(e)}); suggestions pass unchecked`,
        );
        return null;
      });
      this.loading.set(spec.file, loaded);
    }
    return loaded;
  }

  /**
   * The suggestion as shown: itself when it adds no wrong syntax error where it goes (`text` at `offset`,
   * replacing `suggestion.replace` characters), else repaired, cut or withheld (text ''). Unchecked
   * languages and grammars that failed to load pass it through.
   */
  async check(languageId: string, text: string, offset: number, suggestion: Suggestion): Promise<Suggestion> {
    this.lastParses = 0;
    if (!suggestion.text) return suggestion;
    const grammar = await this.grammar(languageId);
    if (!grammar) return suggestion;
    try {
      const { start, end } = gateWindow(text, offset);
      if (start > 0 || end < text.length) {
        // The window alone, when the parser can read it; else the whole document.
        // A copy, not a slice: the gate keeps the window's text with its tree until the next request, and a
        // V8 slice would keep the whole document version alive with it (10 MB per version of a 10 MB file).
        const window = Buffer.from(text.slice(start, end), 'utf16le').toString('utf16le');
        if (syntaxErrors(this.baseTree(grammar, window, 'window')).length <= readableErrors)
          return this.cut(grammar, window, offset - start, suggestion, 'window');
        if (text.length > wholeLimit) return suggestion;
      }
      return this.cut(grammar, text, offset, suggestion, 'whole');
    } catch (e) {
      this.log(`syntax check failed for ${languageId} (${e instanceof Error ? e.message : String(e)}); the suggestion passes unchecked`);
      return suggestion;
    }
  }

  /**
   * Whether the line the cursor is on still needs an operand where the cursor is (`module.exports = `,
   * `return a + `, `x = f(a, b) or `): the text up to the cursor, with every bracket still open closed, has an
   * error on the cursor line, and an operand typed before those closers mends it. An empty suggestion there is
   * never what the user wants. A line that only opens a block (`if x:`, `{`) does not count: its body goes on the
   * next line. False for unchecked languages, grammars that failed to load and text the parser cannot read.
   */
  async needsOperand(languageId: string, text: string, offset: number): Promise<boolean> {
    const grammar = await this.grammar(languageId);
    if (!grammar) return false;
    try {
      const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
      const typed = text.slice(lineStart, offset).trimEnd();
      if (!typed.trim() || (languageId === 'python' && typed.endsWith(':'))) return false;
      // The window's start (gateWindow) up to the cursor: what the user has typed, without what follows.
      const head = text.slice(gateWindow(text, offset).start, offset);
      const line = head.length - (offset - lineStart);
      return this.withParses(grammar, false, (parse) => {
        const upTo = parse(head);
        if (syntaxErrors(upTo.tree).length > readableErrors) return false;
        const { closers } = brackets(upTo.tree, head.length);
        const onLine = (p: Parsed) => syntaxErrors(p.tree).some((e) => e.end > line || (e.start === e.end && e.start >= line));
        const mendedBy = (close: string) => onLine(parse(head + close)) && !onLine(parse(`${head} x${close}`));
        if (mendedBy(closers)) return true;
        // Inside a template string's `${` the closing backtick is no bracket: in JavaScript and TypeScript it is tried
        // after the substitution's `}` (the innermost closer, or the next one out).
        if (languageId === 'python' || !head.slice(line).includes('`')) return false;
        return [1, 2].some((k) => k <= closers.length && mendedBy(`${closers.slice(0, k)}\`${closers.slice(k)}`));
      });
    } catch (e) {
      this.log(`syntax check failed for ${languageId} (${e instanceof Error ? e.message : String(e)}); the typed line counts as finished`);
      return false;
    }
  }

  /**
   * The verdict on `suggestion` where it goes, from fresh parses (not the gate's incremental ones: the
   * benchmark's independent check), or null when the language is not checked.
   */
  async verdictFresh(languageId: string, text: string, offset: number, suggestion: Suggestion): Promise<Verdict | null> {
    const grammar = await this.grammar(languageId);
    if (!grammar) return null;
    return this.withParses(grammar, false, (parse) => {
      const doc = parse(text);
      return judge(parse, doc, () => parse(text.slice(0, offset)), offset, suggestion);
    });
  }

  /**
   * Runs `use` with a parse function (incremental from the tree it is given, or always from scratch) and
   * deletes the trees it made.
   */
  private withParses<T>(grammar: LoadedGrammar, incremental: boolean, use: (parse: Parse) => T): T {
    const made = new Set<Tree>();
    const parse: Parse = (text, from) => {
      this.lastParses++;
      let old: Tree | null = null;
      if (from && incremental) {
        old = from.tree.copy();
        old.edit(textEdit(from.text, text));
      }
      const tree = grammar.parser.parse(text, old);
      old?.delete();
      if (!tree) throw new Error('tree-sitter gave no tree');
      made.add(tree);
      return { text, tree };
    };
    try {
      return use(parse);
    } finally {
      for (const tree of made) tree.delete();
    }
  }

  private cut(grammar: LoadedGrammar, text: string, offset: number, suggestion: Suggestion, slot: Slot): Suggestion {
    const doc = { text, tree: this.baseTree(grammar, text, slot) };
    return this.withParses(grammar, true, (parse) => {
      let head: Parsed | undefined;
      const prefix = () => (head ??= parse(text.slice(0, offset), doc));
      let verdict = judge(parse, doc, prefix, offset, suggestion);
      if (verdict.kind !== 'wrong') return suggestion;
      // A stutter (the same token or two written twice where the parser sees the first error) loses its
      // second copy while that moves the first wrong error further on.
      let repaired = suggestion;
      for (let round = 0; round < maxRepairs && verdict.kind === 'wrong'; round++) {
        const at = repaired.text.length - verdict.wrongAt;
        // The parser may mark the whole statement the stutter broke: stutters up to the end of that line count.
        const lineEnd = repaired.text.indexOf('\n', verdict.wrongAt);
        const tries = stutters(repaired.text).filter((cut) => lineEnd < 0 || cut.start <= lineEnd);
        const nearest = tries.sort((a, b) => Math.abs(a.start - verdict.wrongAt) - Math.abs(b.start - verdict.wrongAt));
        const better = nearest
          .slice(0, 2)
          .map((cut) => ({ text: repaired.text.slice(0, cut.start) + repaired.text.slice(cut.end), replace: repaired.replace }))
          .map((s) => ({ s, v: judge(parse, doc, prefix, offset, s) }))
          .find(({ s, v }) => v.kind !== 'wrong' || s.text.length - v.wrongAt < at);
        if (!better) break;
        repaired = better.s;
        verdict = better.v;
      }
      if (verdict.kind !== 'wrong') return repaired;
      const eol = repaired.text.includes('\r\n') ? '\r\n' : '\n';
      // Only prefixes that end before the first wrong error, or with the token it starts at (the parser may
      // mark the `=` of `x =;`), can pass. A cut suggestion no longer rewrites the rest of the line: what
      // followed the cursor stays.
      const token = /^(?:[A-Za-z0-9_$]+|\S)?/.exec(repaired.text.slice(verdict.wrongAt))![0];
      const cuts = cutPoints(repaired.text, eol).filter((kept) => kept.length <= verdict.wrongAt + token.length);
      for (const kept of cuts.slice(0, maxTries)) {
        const candidate = { text: kept, replace: 0 };
        if (judge(parse, doc, prefix, offset, candidate).kind !== 'wrong') return candidate;
      }
      return { text: '', replace: 0 };
    });
  }

  private baseTree(grammar: LoadedGrammar, text: string, slot: Slot): Tree {
    const previous = grammar.base[slot];
    if (previous?.text === text) return previous.tree;
    this.lastParses++;
    // The document changed by an edit or two since the last request: reparse from the last tree (a full
    // parse of a 500-line file costs ~10x more).
    let old: Tree | null = null;
    if (previous) {
      old = previous.tree;
      old.edit(textEdit(previous.text, text));
    }
    const tree = grammar.parser.parse(text, old);
    old?.delete();
    if (!tree) throw new Error('tree-sitter gave no tree');
    grammar.base[slot] = { text, tree };
    return tree;
  }
}
