// The syntax gate: a suggestion must not make the code worse where a parser can tell. Each candidate is
// parsed in its document (tree-sitter, the grammars' own .wasm files from npm, bundled into dist/grammars by
// esbuild.mjs) and compared with the document without it. Unfinished code at the cursor is normal while
// typing, so an error-free file is not demanded: a suggestion is refused when the document has more ERROR /
// MISSING nodes with it than without it, or when an error starts inside the inserted text (`this.user = =
// user;` moves the error of the unfinished `this.user =` into the suggestion without adding one). A refused
// suggestion is cut back to its longest prefix, at a line end (a block) or a token end (a line), that adds
// none, or withheld.
// Parsing is incremental (tree.edit): the document's tree from the one parsed at the last request, each
// candidate's from the document's. The verdict reads only where the errors are, which tree-sitter's
// incremental parse gives as a fresh parse would, so the same text gets the same verdict.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Edit, Language, Parser, type Node, type Point, type Tree } from 'web-tree-sitter';
import type { Suggestion } from './postprocess';

/** The grammar file of each language id the gate checks (others pass through), and the npm package holding it. */
const grammarFiles: Record<string, { file: string; pkg: string }> = {
  typescript: { file: 'tree-sitter-typescript.wasm', pkg: 'tree-sitter-typescript' },
  typescriptreact: { file: 'tree-sitter-tsx.wasm', pkg: 'tree-sitter-typescript' },
  // The JavaScript grammar parses JSX too.
  javascript: { file: 'tree-sitter-javascript.wasm', pkg: 'tree-sitter-javascript' },
  javascriptreact: { file: 'tree-sitter-javascript.wasm', pkg: 'tree-sitter-javascript' },
  python: { file: 'tree-sitter-python.wasm', pkg: 'tree-sitter-python' },
};

/**
 * Past this many errors the parser cannot read the document (a window cut inside a docstring, a dialect the
 * grammar lacks): its errors swing with any change far away and mark good code, so the parser cannot tell,
 * and suggestions pass. (On the benchmark's held-out windows, a `-------` line inside a docstring whose
 * opening quotes lay outside the window was withheld before this.)
 */
const readableErrors = 8;

/** Most candidate prefixes parsed for one suggestion (each an incremental parse, well under a millisecond). */
const maxTries = 12;

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

/** The ERROR and MISSING nodes of a tree, as [start, end) offsets in the text. */
export function syntaxErrors(tree: Tree): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) found.push({ start: node.startIndex, end: node.endIndex });
    // Only subtrees that hold an error are walked: a clean file costs one check at the root.
    if (node.hasError) for (const child of node.children) if (child) visit(child);
  };
  visit(tree.rootNode);
  return found;
}

/**
 * Whether `after` (the text with `removed` characters at `from` replaced by `inserted` characters) is worse
 * than `before` (when `before` is readable): more errors, or an error starting on the cursor line before the
 * end of the insertion that `before` did not have at the same place (an unfinished `this.user =` has one
 * error; `this.user = = user;` has one too, but a new one: which of the two `=` it marks is the parser's
 * choice). A zero-width MISSING node where the insertion ends (still unfinished) does not count, nor an
 * error that starts above the cursor line (the document's own, grown or shrunk by the insertion).
 * `lineStart`: where the cursor line starts. On the benchmark's 240 held-out cases it flags 5 true answers.
 */
export function addsErrors(before: Tree, after: Tree, from: number, removed: number, inserted: number, lineStart = from): boolean {
  const was = syntaxErrors(before);
  const now = syntaxErrors(after);
  if (was.length > readableErrors) return false;
  if (now.length > was.length) return true;
  const to = from + inserted;
  const shift = inserted - removed;
  // Where a range of `before` lies in `after`: text from the end of the replaced range on moved by the
  // insertion; a range that ends at the cursor stays before the inserted text (a zero-width one moves with
  // what follows).
  const end = from + removed;
  const moved = (e: { start: number; end: number }) => {
    const start = e.start >= end ? e.start + shift : e.start;
    return `${start}:${e.start === e.end ? start : e.end > end ? e.end + shift : e.end}`;
  };
  const known = new Set(was.map(moved));
  const over = (e: { start: number; end: number }) => (e.start === e.end ? e.start > lineStart && e.start < to : e.start >= lineStart && e.start < to);
  return now.some((e) => over(e) && !known.has(`${e.start}:${e.end}`));
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

interface LoadedGrammar {
  parser: Parser;
  /** The last document parsed from scratch, kept for the next candidate in the same text. */
  base: { text: string; tree: Tree } | null;
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

  /** Starts loading every grammar in the background (at server start, so the first suggestion does not wait). */
  preload(): void {
    for (const languageId of Object.keys(this.grammars)) void this.grammar(languageId);
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
        return { parser, base: null };
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
   * The suggestion (or its longest prefix) that adds no syntax error where it goes: `text` at `offset`,
   * replacing `suggestion.replace` characters. Unchecked languages and grammars that failed to load pass
   * it through.
   */
  async check(languageId: string, text: string, offset: number, suggestion: Suggestion): Promise<Suggestion> {
    this.lastParses = 0;
    if (!suggestion.text) return suggestion;
    const grammar = await this.grammar(languageId);
    if (!grammar) return suggestion;
    try {
      return this.cut(grammar, text, offset, suggestion);
    } catch (e) {
      this.log(`syntax check failed for ${languageId} (${e instanceof Error ? e.message : String(e)}); the suggestion passes unchecked`);
      return suggestion;
    }
  }

  /**
   * Whether `suggestion` adds a syntax error where it goes, judged from two fresh parses (not the gate's
   * incremental ones: the benchmark's independent check), or null when the language is not checked.
   */
  async addsErrorsFresh(languageId: string, text: string, offset: number, suggestion: Suggestion): Promise<boolean | null> {
    const grammar = await this.grammar(languageId);
    if (!grammar) return null;
    const before = grammar.parser.parse(text);
    const after = grammar.parser.parse(text.slice(0, offset) + suggestion.text + text.slice(offset + suggestion.replace));
    if (!before || !after) throw new Error('tree-sitter gave no tree');
    const adds = addsErrors(before, after, offset, suggestion.replace, suggestion.text.length, text.lastIndexOf('\n', offset - 1) + 1);
    before.delete();
    after.delete();
    return adds;
  }

  private cut(grammar: LoadedGrammar, text: string, offset: number, suggestion: Suggestion): Suggestion {
    const base = this.baseTree(grammar, text);
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    const passes = (s: Suggestion) => {
      this.lastParses++;
      const inserted = text.slice(0, offset) + s.text + text.slice(offset + s.replace);
      const tree = base.copy();
      tree.edit(textEdit(text, inserted));
      const after = grammar.parser.parse(inserted, tree);
      tree.delete();
      if (!after) throw new Error('tree-sitter gave no tree');
      const ok = !addsErrors(base, after, offset, s.replace, s.text.length, lineStart);
      after.delete();
      return ok;
    };
    if (passes(suggestion)) return suggestion;
    const eol = suggestion.text.includes('\r\n') ? '\r\n' : '\n';
    // A cut suggestion no longer rewrites the rest of the line: what followed the cursor stays.
    for (const kept of cutPoints(suggestion.text, eol).slice(0, maxTries)) {
      const candidate = { text: kept, replace: 0 };
      if (passes(candidate)) return candidate;
    }
    return { text: '', replace: 0 };
  }

  private baseTree(grammar: LoadedGrammar, text: string): Tree {
    const previous = grammar.base;
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
    grammar.base = { text, tree };
    return tree;
  }
}
