// Turns the sampler's raw text into ghost text a user would accept: the right mode (one line or a
// block), cut where the block ends, and without repeating what already follows the cursor.

export type CompletionMode = 'single_line' | 'multi_line';

/**
 * Multi-line at the start of a line (only indentation before the cursor: new lines may go there) or
 * just after a block opener (`{`, `:`) at the end of a line; one line otherwise. After `(`, `[` or `=>`
 * the user is mostly in the middle of a line (`users.map(`): on training-split files those moments
 * outnumber lines that end there 26, 23 and 38 to 1, and one line did at least as well as a block in
 * them (`npm run bench:completion-mode`, bench/results/completion-mode.json). A template string's `${` is no
 * block opener: on the same files it ends a typed moment 193 times and a line never.
 */
export function completionMode(linePrefix: string, lineSuffix: string): CompletionMode {
  if (linePrefix.trim() === '') return 'multi_line';
  if (lineSuffix.trim() !== '') return 'single_line';
  return /((?<!\$)\{|:)\s*$/.test(linePrefix) ? 'multi_line' : 'single_line';
}

export interface TrimContext {
  mode: CompletionMode;
  /** The cursor line's text before the cursor. */
  linePrefix: string;
  /** The cursor line's text after the cursor. */
  lineSuffix: string;
  /** The lines above and below the cursor line ('' at the document's edges): a suggestion must not repeat them. */
  lineAbove?: string;
  lineBelow?: string;
}

/** What to show: `text` replaces the next `replace` characters after the cursor ('' = no suggestion). */
export interface Suggestion {
  text: string;
  replace: number;
}

/** The suggestion to show for the model's raw text after the cursor. */
export function trimSuggestion(raw: string, ctx: TrimContext): Suggestion {
  const eol = raw.includes('\r\n') ? '\r\n' : '\n';
  const lines = raw.split(/\r?\n/);
  let kept = ctx.mode === 'single_line' ? lines.slice(0, 1) : cutAtDedent(lines, indentWidth(ctx.linePrefix));
  kept = cutAtRepetition(kept.map((l) => l.replace(/\s+$/, '')));
  while (kept.length > 1 && kept[kept.length - 1] === '') kept.pop();
  // The model finished its last kept line when a line break follows it in the raw output.
  kept = cutAtNeighbourRepeat(kept, ctx, kept.length < lines.length);
  const endsLine = kept.length < lines.length;
  const text = kept.join(eol);
  if (text.trim() === '') return { text: '', replace: 0 };
  const rest = ctx.lineSuffix.trimEnd();
  if (rest.trim() === '') return { text, replace: 0 };
  // At the start of a line with code after the cursor: whole new lines go above that code (or the
  // unfinished line joins it, without repeating what follows).
  if (ctx.linePrefix.trim() === '') return endsLine ? { text: text + eol, replace: 0 } : { text: dropSuffixOverlap(text, rest), replace: 0 };
  // Mid-line: the model wrote the rest of the line. When what already follows the cursor (often a bracket
  // the editor closed) appears in order inside it, the suggestion replaces it; else the overlap is dropped.
  const first = kept[0];
  if (isSubsequence(rest, first)) return { text: first, replace: rest.length };
  const dropped = dropSuffixOverlap(first, rest);
  return { text: dropped.trim() === '' ? '' : dropped, replace: 0 };
}

/**
 * A small model often writes the line above the cursor again, or the line that already follows: keep the
 * suggested lines before the first one that, completed with the text around it, equals the line above or
 * the line that would follow it. Lines without a letter or digit (`}`, `});`) may repeat.
 */
function cutAtNeighbourRepeat(lines: string[], ctx: TrimContext, endsLine: boolean): string[] {
  const same = (a: string, b: string | undefined) => b !== undefined && /[A-Za-z0-9]/.test(a) && a.trim() === b.trim();
  const cursorLine = ctx.linePrefix + ctx.lineSuffix;
  for (let i = 0; i < lines.length; i++) {
    const last = i === lines.length - 1;
    // The line as it will read: the first joins the typed text; the last joins what follows the cursor
    // unless the model ended it (then that text moves to the line below it), or the line replaces it.
    const line = (i === 0 ? ctx.linePrefix : '') + lines[i];
    const forms = last && !endsLine ? [line, line + ctx.lineSuffix] : [line];
    const above = i === 0 ? ctx.lineAbove : lines[i - 1];
    const below = !last ? undefined : endsLine && cursorLine.trim() !== '' ? cursorLine : ctx.lineBelow;
    if (forms.some((full) => same(full, above) || same(full, below))) return lines.slice(0, i);
  }
  return lines;
}

/** Whether the characters of `small` appear in `big` in order. */
function isSubsequence(small: string, big: string): boolean {
  let i = 0;
  for (const ch of big) if (i < small.length && ch === small[i]) i++;
  return i === small.length;
}

/**
 * Small models fall into loops ("a && (b && (b && (b && …" or the same line again and again): keep the
 * lines before the first line that loops inside itself or repeats an earlier line of the suggestion.
 */
export function cutAtRepetition(lines: string[]): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (loopsInside(t) || (t.length >= 6 && seen.has(t))) return lines.slice(0, i);
    seen.add(t);
  }
  return lines;
}

/** The same piece of 4+ characters with a letter in it, three times in a row (not a "------" rule). */
function loopsInside(line: string): boolean {
  const m = /(.{4,}?)\1\1/.exec(line.slice(0, 400));
  return m !== null && /[A-Za-z_]/.test(m[1]);
}

/**
 * Whether raw multi-line output already holds a line (after the first) that starts left of the block's
 * indentation: `trimSuggestion` cuts there, so the sampler may stop. A line still made of blanks only
 * does not count yet (its indentation may grow).
 */
export function blockEnded(raw: string, linePrefix: string): boolean {
  const lines = raw.split(/\r?\n/);
  return cutAtDedent(lines, indentWidth(linePrefix)).length < lines.length;
}

/** Keep lines until one (after the first) is indented less than the block: the block has ended. */
function cutAtDedent(lines: string[], indent: number): string[] {
  const kept = [lines[0]];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() !== '' && indentWidth(line) < indent) break;
    kept.push(line);
  }
  return kept;
}

/** If the suggestion ends with text that already follows the cursor (a closing bracket), drop it. */
export function dropSuffixOverlap(text: string, lineSuffix: string): string {
  const s = lineSuffix.trimEnd();
  for (let k = Math.min(s.length, text.length); k > 0; k--) {
    if (text.endsWith(s.slice(0, k))) return text.slice(0, text.length - k);
  }
  return text;
}

function indentWidth(line: string): number {
  let w = 0;
  for (const ch of line) {
    if (ch === ' ') w++;
    else if (ch === '\t') w += 4;
    else break;
  }
  return w;
}

/**
 * The whole lines of a decoded span (the typed text first), up to and with its last line break, when one of
 * them holds more than blanks; null otherwise (a part of a line is not shown: it reads as a finished line).
 */
export function confidentLines(raw: string, typed: string): string | null {
  if (!raw.startsWith(typed)) return null;
  const body = raw.slice(typed.length);
  const end = body.lastIndexOf('\n');
  return end >= 0 && body.slice(0, end).trim() !== '' ? typed + body.slice(0, end + 1) : null;
}
