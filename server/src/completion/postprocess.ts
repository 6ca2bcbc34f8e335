// Turns the sampler's raw text into ghost text a user would accept: the right mode (one line or a
// block), cut where the block ends, and without repeating what already follows the cursor.

export type CompletionMode = 'single_line' | 'multi_line';

/** Multi-line when the cursor sits on a blank line or just after a block opener; else one line. */
export function completionMode(linePrefix: string, lineSuffix: string): CompletionMode {
  if (lineSuffix.trim() !== '') return 'single_line';
  if (linePrefix.trim() === '') return 'multi_line';
  return /(\{|\(|\[|:|=>)\s*$/.test(linePrefix) ? 'multi_line' : 'single_line';
}

export interface TrimContext {
  mode: CompletionMode;
  /** Text of the cursor's line before the cursor. */
  linePrefix: string;
  /** Text after the cursor (the rest of the document, or as much as was read). */
  suffix: string;
}

/** The suggestion to show, or '' for none. */
export function trimSuggestion(raw: string, ctx: TrimContext): string {
  const eol = raw.includes('\r\n') ? '\r\n' : '\n';
  let lines = raw.split(/\r?\n/);
  if (ctx.mode === 'single_line') {
    lines = lines.slice(0, 1);
  } else {
    lines = cutAtDedent(lines, indentWidth(ctx.linePrefix));
  }
  let text = lines.map((l) => l.replace(/\s+$/, '')).join(eol).replace(/\s+$/, '');
  text = dropSuffixOverlap(text, firstLine(ctx.suffix));
  return text.trim() === '' ? '' : text;
}

/** Keep lines until one (after the first) is indented less than the block: the block has ended. */
function cutAtDedent(lines: string[], indent: number): string[] {
  const kept = [lines[0]];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() !== '' && indentWidth(line) < indent) break;
    kept.push(line);
  }
  // A trailing run of blank lines adds nothing visible.
  while (kept.length > 1 && kept[kept.length - 1].trim() === '') kept.pop();
  return kept;
}

/** If the suggestion ends with text that already follows the cursor (a closing bracket), drop it. */
export function dropSuffixOverlap(text: string, suffixLine: string): string {
  const s = suffixLine.trimEnd();
  for (let k = Math.min(s.length, text.length); k > 0; k--) {
    if (text.endsWith(s.slice(0, k))) return text.slice(0, text.length - k);
  }
  return text;
}

function firstLine(text: string): string {
  const i = text.search(/\r?\n/);
  return i < 0 ? text : text.slice(0, i);
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
