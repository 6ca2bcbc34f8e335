// Turns the sampler's raw text into ghost text a user would accept: the right mode (one line or a
// block), cut where the block ends, and without repeating what already follows the cursor.

export type CompletionMode = 'single_line' | 'multi_line';

/**
 * Multi-line at the start of a line (only indentation before the cursor: new lines may go there) or
 * just after a block opener at the end of a line; one line otherwise.
 */
export function completionMode(linePrefix: string, lineSuffix: string): CompletionMode {
  if (linePrefix.trim() === '') return 'multi_line';
  if (lineSuffix.trim() !== '') return 'single_line';
  return /(\{|\(|\[|:|=>)\s*$/.test(linePrefix) ? 'multi_line' : 'single_line';
}

export interface TrimContext {
  mode: CompletionMode;
  /** The cursor line's text before the cursor. */
  linePrefix: string;
  /** The cursor line's text after the cursor. */
  lineSuffix: string;
}

/** The suggestion to show, or '' for none. */
export function trimSuggestion(raw: string, ctx: TrimContext): string {
  const eol = raw.includes('\r\n') ? '\r\n' : '\n';
  const lines = raw.split(/\r?\n/);
  let kept = ctx.mode === 'single_line' ? lines.slice(0, 1) : cutAtDedent(lines, indentWidth(ctx.linePrefix));
  kept = kept.map((l) => l.replace(/\s+$/, ''));
  while (kept.length > 1 && kept[kept.length - 1] === '') kept.pop();
  // The model finished its last kept line when a line break follows it in the raw output.
  const endsLine = kept.length < lines.length;
  let text = kept.join(eol);
  if (text.trim() === '') return '';
  const rest = ctx.lineSuffix;
  if (rest.trim() === '') return text;
  // Text follows the cursor on its line: whole new lines go above it (keeping the line break);
  // a partial line must not repeat what already follows (a closing bracket).
  return endsLine ? text + eol : dropSuffixOverlap(text, rest);
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
