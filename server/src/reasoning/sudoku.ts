// Sudoku text format: parse (with document positions), verify a candidate answer, and write
// an answer back in the user's own layout.
//
// Accepted text: 9 rows of 9 cells; a cell is a digit 1-9 (given) or '.'/'0' (blank); '|', '-', '+',
// spaces and tabs are separators anywhere; lines holding only separators (`------+-------+------`)
// and blank lines are skipped. A single row of 81 cells (the one-line dataset format) is also accepted.

import {
  GridCell,
  PuzzleError,
  SourcePosition,
  TextLayout,
  TextOrigin,
  describePosition,
  documentPosition,
  isBlankLine,
  joinLayout,
  puzzleError,
  replaceChars,
  splitLayout,
} from './source';

export const SUDOKU_SIZE = 9;
export const SUDOKU_CELLS = 81;

export interface SudokuPuzzle {
  kind: 'sudoku';
  /** 81 entries, row-major: 1-9 for a given, 0 for a blank. */
  givens: number[];
  /** Where each of the 81 cells sits in the document. */
  positions: SourcePosition[];
  layout: TextLayout;
  /** Line and character index (0-based, within the parsed text) of each cell, for formatting. */
  cellChars: Array<{ lineIndex: number; charIndex: number }>;
}

export type SudokuRule = 'row' | 'column' | 'box' | 'given' | 'incomplete';

export interface SudokuConflict {
  rule: SudokuRule;
  cells: GridCell[];
  message: string;
}

const SEPARATORS = new Set(['|', '-', '+', ' ', '\t']);

function isCellChar(char: string): boolean {
  return char === '.' || (char >= '0' && char <= '9');
}

interface RowText {
  lineIndex: number;
  charIndexes: number[];
}

export function parseSudoku(text: string, origin: TextOrigin = {}): SudokuPuzzle | PuzzleError {
  const layout = splitLayout(text, origin);
  const rows: RowText[] = [];
  for (let lineIndex = 0; lineIndex < layout.lines.length; lineIndex++) {
    const line = layout.lines[lineIndex];
    if (isBlankLine(line)) continue;
    const charIndexes: number[] = [];
    for (let charIndex = 0; charIndex < line.length; charIndex++) {
      const char = line[charIndex];
      if (isCellChar(char)) charIndexes.push(charIndex);
      else if (!SEPARATORS.has(char)) {
        return puzzleError(
          layout,
          lineIndex,
          charIndex,
          `Unexpected character '${char}': a Sudoku cell is a digit 1-9, or '.' or '0' for a blank; separators are | - + and spaces`,
        );
      }
    }
    // A line of separators only (box borders) carries no cells.
    if (charIndexes.length > 0) rows.push({ lineIndex, charIndexes });
  }

  const shaped = shapeRows(layout, rows);
  if ('kind' in shaped) return shaped;

  const givens: number[] = [];
  const positions: SourcePosition[] = [];
  const cellChars: SudokuPuzzle['cellChars'] = [];
  for (const row of shaped) {
    for (const charIndex of row.charIndexes) {
      const char = layout.lines[row.lineIndex][charIndex];
      givens.push(char === '.' ? 0 : Number(char));
      positions.push(documentPosition(layout, row.lineIndex, charIndex));
      cellChars.push({ lineIndex: row.lineIndex, charIndex });
    }
  }
  const puzzle: SudokuPuzzle = { kind: 'sudoku', givens, positions, layout, cellChars };
  return findContradictoryGivens(puzzle) ?? puzzle;
}

/** Check the row/cell counts; splits the one-line 81-cell format into 9 rows. */
function shapeRows(layout: TextLayout, rows: RowText[]): RowText[] | PuzzleError {
  if (rows.length === 0) {
    return puzzleError(layout, 0, 0, 'No Sudoku found: expected 9 rows of 9 cells (digits, and . or 0 for blanks)');
  }
  if (rows.length === 1 && rows[0].charIndexes.length === SUDOKU_CELLS) {
    const { lineIndex, charIndexes } = rows[0];
    return Array.from({ length: SUDOKU_SIZE }, (_, r) => ({
      lineIndex,
      charIndexes: charIndexes.slice(r * SUDOKU_SIZE, (r + 1) * SUDOKU_SIZE),
    }));
  }
  for (let r = 0; r < rows.length; r++) {
    const { lineIndex, charIndexes } = rows[r];
    if (r === SUDOKU_SIZE) {
      return puzzleError(layout, lineIndex, charIndexes[0], `Too many rows: a Sudoku has 9 rows, this is row ${r + 1}`);
    }
    if (charIndexes.length > SUDOKU_SIZE) {
      return puzzleError(layout, lineIndex, charIndexes[SUDOKU_SIZE], `Row ${r + 1} has ${charIndexes.length} cells; a Sudoku row has 9`);
    }
    if (charIndexes.length < SUDOKU_SIZE) {
      const lineEnd = layout.lines[lineIndex].trimEnd().length;
      return puzzleError(layout, lineIndex, lineEnd, `Row ${r + 1} has ${charIndexes.length} cells; a Sudoku row has 9`);
    }
  }
  if (rows.length < SUDOKU_SIZE) {
    // Point just past the last row: that is where the missing rows belong.
    const last = rows[rows.length - 1];
    return puzzleError(layout, last.lineIndex, layout.lines[last.lineIndex].length, `Only ${rows.length} rows; a Sudoku has 9 rows of 9 cells`);
  }
  return rows;
}

/** The 27 units (rows, columns, boxes) as lists of cell indexes, named for messages. */
export const SUDOKU_UNITS: ReadonlyArray<{ rule: 'row' | 'column' | 'box'; name: string; cells: number[] }> = (() => {
  const units: Array<{ rule: 'row' | 'column' | 'box'; name: string; cells: number[] }> = [];
  for (let k = 0; k < SUDOKU_SIZE; k++) {
    const row: number[] = [];
    const column: number[] = [];
    const box: number[] = [];
    const boxRow = 3 * Math.floor(k / 3);
    const boxColumn = 3 * (k % 3);
    for (let j = 0; j < SUDOKU_SIZE; j++) {
      row.push(k * SUDOKU_SIZE + j);
      column.push(j * SUDOKU_SIZE + k);
      box.push((boxRow + Math.floor(j / 3)) * SUDOKU_SIZE + boxColumn + (j % 3));
    }
    units.push({ rule: 'row', name: `row ${k + 1}`, cells: row });
    units.push({ rule: 'column', name: `column ${k + 1}`, cells: column });
    units.push({ rule: 'box', name: `box ${k + 1}`, cells: box });
  }
  return units;
})();

function findContradictoryGivens(puzzle: SudokuPuzzle): PuzzleError | undefined {
  for (const unit of SUDOKU_UNITS) {
    const seenAt = new Map<number, number>();
    for (const cell of unit.cells) {
      const digit = puzzle.givens[cell];
      if (digit === 0) continue;
      const first = seenAt.get(digit);
      if (first === undefined) {
        seenAt.set(digit, cell);
        continue;
      }
      const firstPosition = puzzle.positions[first];
      const secondPosition = puzzle.positions[cell];
      return {
        kind: 'error',
        message: `Two ${digit}s in ${unit.name}: at ${describePosition(firstPosition)} and ${describePosition(secondPosition)}`,
        ...secondPosition,
        related: [firstPosition],
      };
    }
  }
  return undefined;
}

export function gridCell(index: number, columns = SUDOKU_SIZE): GridCell {
  return { row: Math.floor(index / columns), column: index % columns };
}

function cellName(index: number): string {
  const { row, column } = gridCell(index);
  return `row ${row + 1}, column ${column + 1}`;
}

/**
 * Check a candidate answer against the rules and the givens. Returns every conflict; an empty list means
 * the candidate is a valid solution of the puzzle.
 */
export function verifySudoku(givens: ArrayLike<number>, candidate: ArrayLike<number>): SudokuConflict[] {
  if (candidate.length !== SUDOKU_CELLS || givens.length !== SUDOKU_CELLS) {
    return [{ rule: 'incomplete', cells: [], message: `Expected 81 cells, got ${candidate.length}` }];
  }
  const conflicts: SudokuConflict[] = [];
  const unfilled: number[] = [];
  for (let i = 0; i < SUDOKU_CELLS; i++) {
    const digit = candidate[i];
    if (!Number.isInteger(digit) || digit < 1 || digit > 9) unfilled.push(i);
    else if (givens[i] !== 0 && digit !== givens[i]) {
      conflicts.push({
        rule: 'given',
        cells: [gridCell(i)],
        message: `The given ${givens[i]} at ${cellName(i)} was changed to ${digit}`,
      });
    }
  }
  if (unfilled.length > 0) {
    conflicts.push({
      rule: 'incomplete',
      cells: unfilled.map((i) => gridCell(i)),
      message: `${unfilled.length} cell${unfilled.length === 1 ? '' : 's'} without a digit 1-9, first at ${cellName(unfilled[0])}`,
    });
  }
  for (const unit of SUDOKU_UNITS) {
    const cellsByDigit = new Map<number, number[]>();
    for (const cell of unit.cells) {
      const digit = candidate[cell];
      if (digit >= 1 && digit <= 9) cellsByDigit.set(digit, [...(cellsByDigit.get(digit) ?? []), cell]);
    }
    for (const [digit, cells] of cellsByDigit) {
      if (cells.length < 2) continue;
      conflicts.push({
        rule: unit.rule,
        cells: cells.map((i) => gridCell(i)),
        message: `${cells.length} × ${digit} in ${unit.name}`,
      });
    }
  }
  return conflicts;
}

/**
 * The puzzle's text with every blank replaced by the answer's digit; givens, separators, spacing and
 * line endings are kept, so "Apply" writes the answer in the user's own layout.
 */
export function formatSudoku(puzzle: SudokuPuzzle, answer: ArrayLike<number>): string {
  const editsByLine = new Map<number, Map<number, string>>();
  for (let i = 0; i < SUDOKU_CELLS; i++) {
    if (puzzle.givens[i] !== 0) continue;
    const digit = answer[i];
    if (!(digit >= 1 && digit <= 9)) continue;
    const { lineIndex, charIndex } = puzzle.cellChars[i];
    const edits = editsByLine.get(lineIndex) ?? new Map<number, string>();
    edits.set(charIndex, String(digit));
    editsByLine.set(lineIndex, edits);
  }
  const lines = puzzle.layout.lines.map((line, i) => replaceChars(line, editsByLine.get(i) ?? new Map(), ' '));
  return joinLayout(puzzle.layout, lines);
}

/** The one-line 81-character form ('.' for blanks), used in tests, benchmarks and logs. */
export function sudokuToLine(digits: ArrayLike<number>): string {
  return Array.from(digits, (d) => (d >= 1 && d <= 9 ? String(d) : '.')).join('');
}
