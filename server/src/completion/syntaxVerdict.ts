// The verdict of the syntax gate (syntax.ts) on one suggestion: whether the errors tree-sitter finds in the
// document with it are new, and if so whether they are those of unfinished code (typing on from the
// suggestion's end closes them: an opened bracket or block, an operator still without its operand) or wrong
// code (no further typing fixes them: `this.user = = user;`, `return total total;`). Unfinished code is
// what typing by hand leaves at every keystroke, so the gate shows it; wrong code it repairs, cuts or
// withholds. The benchmark judges suggestions with the same verdict (from fresh parses).
import type { Node, Tree } from 'web-tree-sitter';
import type { Suggestion } from './postprocess';

/**
 * Past this many errors the parser cannot read the document (a window cut inside a docstring, a dialect the
 * grammar lacks): its errors swing with any change far away and mark good code, so the parser cannot tell,
 * and suggestions pass. (On the benchmark's held-out windows, a `-------` line inside a docstring whose
 * opening quotes lay outside the window was withheld before this.)
 */
export const readableErrors = 8;

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
 * How a suggestion leaves its document. `clean`: no error that the document without it lacks. `unfinished`:
 * the errors it brings are those of code not yet finished at its end (an opened bracket or block, an
 * operator still without its operand): typing on from its end can close them, as while typing by hand.
 * `wrong`: an error inside it that no further typing fixes (`this.user = = user;`, `return total total;`,
 * `age::`), an error it moves into the code after it before its own end, or a closer of a bracket that the
 * code after it closes already. `wrongAt`: where (an offset
 * into the suggestion's text) its first wrong error starts, the longest prefix worth trying when cutting.
 */
export interface Verdict {
  kind: 'clean' | 'unfinished' | 'wrong';
  wrongAt: number;
}

/** A parse of `text`, reusing the tree of `from` (an incremental parse) when given. */
export type Parse = (text: string, from?: Parsed) => Parsed;
export interface Parsed {
  text: string;
  tree: Tree;
}

/**
 * An error's key that survives a text growing at its end: errors running to the end of the text match (an
 * ERROR node over an unfinished construct).
 */
const keyOf = (e: { start: number; end: number }, length: number) => `${e.start}:${e.end >= length ? 'end' : e.end}`;

/** The bracket tokens a tree-sitter grammar names by their text (string contents and comments are not tokens). */
const closerOf: Record<string, string> = { '(': ')', '[': ']', '{': '}', '${': '}' };
const bracketTypes = [...new Set([...Object.keys(closerOf), ...Object.values(closerOf)])];

/**
 * The brackets of `tree`: the closers of those still open at its end, innermost first, and where the first
 * closer at or after `mark` closes a bracket opened before it (-1 if none). Missing tokens the parser made
 * up do not count.
 */
export function brackets(tree: Tree, mark: number): { closers: string; closesOuter: number } {
  const stack: { closer: string; at: number }[] = [];
  let closesOuter = -1;
  // One call into the parser for the bracket tokens, in text order, rather than a walk over every node.
  for (const node of tree.rootNode.descendantsOfType(bracketTypes)) {
    if (!node || node.isMissing) continue;
    if (Object.hasOwn(closerOf, node.type)) stack.push({ closer: closerOf[node.type], at: node.startIndex });
    else if (stack.length && stack[stack.length - 1].closer === node.type) {
      const opened = stack.pop()!;
      if (closesOuter < 0 && opened.at < mark && node.startIndex >= mark) closesOuter = node.startIndex;
    }
  }
  return { closers: stack.reduceRight((closers, b) => closers + b.closer, ''), closesOuter };
}

/**
 * The verdict on `suggestion` at `offset` in `doc` (its tree given). Cheap first: a suggestion that adds no
 * error to the document (the same count, none new over the cursor line up to its end) is clean. Otherwise
 * two checks find a wrong one. In the document: a new error over the cursor line that ends before the
 * suggestion's last character (an error touching its end may be its unfinished tail meeting the code after
 * it), or a closer of a bracket opened before the cursor. In the text up to the suggestion's end (what
 * follows cut off): the suggestion is unfinished when a probe continuation (the closers of every bracket
 * still open, or an operand and those closers) leaves no new error over the cursor line; else wrong.
 * `prefix`: the document cut at the cursor, parsed. Errors above
 * the cursor line (the document's own, grown or shrunk) and documents the parser cannot read do not count.
 */
export function judge(parse: Parse, doc: Parsed, prefix: () => Parsed, offset: number, suggestion: Suggestion): Verdict {
  const clean: Verdict = { kind: 'clean', wrongAt: suggestion.text.length };
  const was = syntaxErrors(doc.tree);
  if (was.length > readableErrors) return clean;
  const { text } = doc;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const after = parse(text.slice(0, offset) + suggestion.text + text.slice(offset + suggestion.replace), doc);
  const now = syntaxErrors(after.tree);
  const to = offset + suggestion.text.length;
  const shift = suggestion.text.length - suggestion.replace;
  // Where an error of the document lies with the suggestion in: text after the replaced range moves by the
  // insertion; a range that ends at the cursor stays before the inserted text (a zero-width one moves).
  const replacedEnd = offset + suggestion.replace;
  const moved = (e: { start: number; end: number }) => {
    const start = e.start >= replacedEnd ? e.start + shift : e.start;
    return `${start}:${e.start === e.end ? start : e.end > replacedEnd ? e.end + shift : e.end}`;
  };
  const known = new Set(was.map(moved));
  const added = now.filter((e) => !known.has(`${e.start}:${e.end}`));
  const onLine = (e: { start: number; end: number }) => (e.start === e.end ? e.start > lineStart : e.start >= lineStart);
  if (now.length <= was.length && !added.some((e) => onLine(e) && e.start < to)) return clean;

  const last = offset + suggestion.text.trimEnd().length;
  const wrongStarts = added.filter((e) => onLine(e) && (e.start === e.end ? e.start < last : e.end < last)).map((e) => e.start);
  const head = prefix();
  const headKeys = new Set(syntaxErrors(head.tree).map((e) => keyOf(e, head.text.length)));
  const typed = parse(head.text + suggestion.text.trimEnd(), head);
  // New errors over the cursor line in the text up to the suggestion's end (plus a probe). A token missing
  // at or after that end (a statement after `if (x)`, the prefix's own unclosed block recovered as one) is
  // what the user has yet to type.
  const fresh = (p: Parsed) =>
    syntaxErrors(p.tree).filter((e) => onLine(e) && !(e.start === e.end && e.start >= typed.text.length) && !headKeys.has(keyOf(e, p.text.length)));
  // The probe closes every bracket still open, the prefix's too: inside an unclosed block tree-sitter may
  // wrap the whole text in one ERROR from its start, which hides the suggestion's own errors.
  const { closers, closesOuter } = brackets(typed.tree, offset);
  // A suggestion that closes a bracket opened before the cursor while the document gains errors: the code
  // after it closed that bracket already (`}` above a `}`).
  if (closesOuter >= 0) wrongStarts.push(closesOuter);
  const probes = [closers, ` x${closers}`];
  const probed = probes.map((probe) => fresh(probe ? parse(typed.text + probe, typed) : typed));
  // Not finishable: the first error any probe shows (within the suggestion) is where it goes wrong.
  if (probed.every((errors) => errors.length > 0)) wrongStarts.push(...probed.flat().map((e) => Math.min(Math.max(e.start, offset), last)));
  if (wrongStarts.length === 0) return { kind: 'unfinished', wrongAt: suggestion.text.length };
  return { kind: 'wrong', wrongAt: Math.max(0, Math.min(...wrongStarts) - offset) };
}

/**
 * Where `text` stutters: a token, or a run of two or three, written twice in a row on one line (`= =`,
 * `require require(`, `=> =>`, `::`, `(self(self`), the parallel decoder's typical slip (neighbouring
 * slots committed to the same token in one pass). Each range covers the second copy and the blanks before it.
 */
export function stutters(text: string): { start: number; end: number }[] {
  const tokens = [...text.matchAll(/[A-Za-z0-9_$]+|[^\sA-Za-z0-9_$]/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
  const found: { start: number; end: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (let n = 1; n <= 3 && i + 2 * n <= tokens.length; n++) {
      const first = tokens.slice(i, i + n);
      const second = tokens.slice(i + n, i + 2 * n);
      const gap = text.slice(first[n - 1].end, second[0].start);
      if (/^[ \t]*$/.test(gap) && first.every((t, k) => t.text === second[k].text)) {
        found.push({ start: first[n - 1].end, end: second[n - 1].end });
        break;
      }
    }
  }
  return found;
}
