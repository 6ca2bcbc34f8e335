// Where puzzle text came from: positions in the document, parse errors, and the line
// layout that formatters rewrite so an answer lands in the user's own style.

/** A 1-based line and column in the document the puzzle text came from. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** A parse error that names where in the document it happened. */
export interface PuzzleError extends SourcePosition {
  kind: 'error';
  message: string;
  /** Other cells the message mentions, e.g. the first of two equal givens. */
  related?: SourcePosition[];
}

/**
 * Where the parsed text starts in its document, for parsing a selection.
 * lineOffset: lines before the text (the selection's 0-based start line).
 * columnOffset: characters before the text on its first line (the selection's 0-based start character).
 * Both default to 0, i.e. the text is the whole document.
 */
export interface TextOrigin {
  lineOffset?: number;
  columnOffset?: number;
}

/** A cell in grid coordinates, both 0-based (row-major index = row * columns + column). */
export interface GridCell {
  row: number;
  column: number;
}

/** The text split into lines, keeping each line ending so formatting gives back the same bytes. */
export interface TextLayout {
  lines: string[];
  /** eols[i] ends lines[i]: '\n', '\r\n' or '' for the last line. */
  eols: string[];
  origin: Required<TextOrigin>;
}

export function splitLayout(text: string, origin: TextOrigin = {}): TextLayout {
  const parts = text.split(/(\r?\n)/);
  const lines: string[] = [];
  const eols: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    lines.push(parts[i]);
    eols.push(parts[i + 1] ?? '');
  }
  return { lines, eols, origin: { lineOffset: origin.lineOffset ?? 0, columnOffset: origin.columnOffset ?? 0 } };
}

export function joinLayout(layout: TextLayout, lines: string[]): string {
  return lines.map((line, i) => line + layout.eols[i]).join('');
}

/** The document position of character `charIndex` on line `lineIndex` of the parsed text (both 0-based). */
export function documentPosition(layout: TextLayout, lineIndex: number, charIndex: number): SourcePosition {
  const { lineOffset, columnOffset } = layout.origin;
  return {
    line: lineOffset + lineIndex + 1,
    column: (lineIndex === 0 ? columnOffset : 0) + charIndex + 1,
  };
}

export function puzzleError(layout: TextLayout, lineIndex: number, charIndex: number, message: string, related?: SourcePosition[]): PuzzleError {
  const error: PuzzleError = { kind: 'error', message, ...documentPosition(layout, lineIndex, charIndex) };
  if (related) error.related = related;
  return error;
}

export function isBlankLine(line: string): boolean {
  return line.trim() === '';
}

/** Replace single characters in a line, padding with `fill` when writing past its end. */
export function replaceChars(line: string, edits: Map<number, string>, fill: string): string {
  if (edits.size === 0) return line;
  const chars = line.split('');
  for (const [index, char] of edits) {
    while (chars.length < index) chars.push(fill);
    chars[index] = char;
  }
  return chars.join('');
}

/** "line 4, column 7" for messages. */
export function describePosition(position: SourcePosition): string {
  return `line ${position.line}, column ${position.column}`;
}
