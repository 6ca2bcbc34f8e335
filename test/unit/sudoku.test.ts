import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PuzzleError } from '../../server/src/reasoning/source';
import { SudokuPuzzle, formatSudoku, parseSudoku, sudokuToLine, verifySudoku } from '../../server/src/reasoning/sudoku';
import { solveSudoku } from '../../server/src/reasoning/sudokuSolver';

// The Wikipedia example puzzle, boxed with separators.
const CLASSIC = `
5 3 . | . 7 . | . . .
6 . . | 1 9 5 | . . .
. 9 8 | . . . | . 6 .
------+-------+------
8 . . | . 6 . | . . 3
4 . . | 8 . 3 | . . 1
7 . . | . 2 . | . . 6
------+-------+------
. 6 . | . . . | 2 8 .
. . . | 4 1 9 | . . 5
. . . | . 8 . | . 7 9
`;
const CLASSIC_SOLUTION = '534678912672195348198342567859761423426853791713924856961537284287419635345286179';

// Arto Inkala's "world's hardest Sudoku" (2012).
const INKALA = '8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..';
const INKALA_SOLUTION = '812753649943682175675491283154237896369845721287169534521974368438526917796318452';

function digits(line: string): number[] {
  return Array.from(line, (char) => (char === '.' ? 0 : Number(char)));
}

function parsed(text: string, origin = {}): SudokuPuzzle {
  const result = parseSudoku(text, origin);
  assert.equal(result.kind, 'sudoku', result.kind === 'error' ? result.message : '');
  return result as SudokuPuzzle;
}

function parseError(text: string, origin = {}): PuzzleError {
  const result = parseSudoku(text, origin);
  assert.equal(result.kind, 'error', 'expected a parse error');
  return result as PuzzleError;
}

describe('parseSudoku', () => {
  it('reads a boxed grid with separators and blank lines around it', () => {
    const puzzle = parsed(CLASSIC);
    assert.equal(sudokuToLine(puzzle.givens), '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79');
    // Line 1 is the leading blank line; the first row is line 2.
    assert.deepEqual(puzzle.positions[0], { line: 2, column: 1 });
    assert.deepEqual(puzzle.positions[80], { line: 12, column: 21 });
  });

  it('reads compact rows with 0 for blanks and the one-line 81-cell form', () => {
    const compact = INKALA.replace(/\./g, '0').match(/.{9}/g)!.join('\n');
    assert.equal(sudokuToLine(parsed(compact).givens), INKALA);
    const oneLine = parsed(INKALA);
    assert.equal(sudokuToLine(oneLine.givens), INKALA);
    assert.deepEqual(oneLine.positions[80], { line: 1, column: 81 });
  });

  it('maps positions of a selection back to the document', () => {
    const text = INKALA.match(/.{9}/g)!.join('\n');
    const puzzle = parsed(text, { lineOffset: 10, columnOffset: 4 });
    assert.deepEqual(puzzle.positions[0], { line: 11, column: 5 });
    assert.deepEqual(puzzle.positions[9], { line: 12, column: 1 });
  });

  it('names line and column of an unknown character', () => {
    const error = parseError(CLASSIC.replace('4 . . | 8', '4 . x | 8'));
    assert.deepEqual([error.line, error.column], [7, 5]);
    assert.match(error.message, /Unexpected character 'x'/);
  });

  it('reports a row with too many or too few cells', () => {
    const tooMany = parseError('123456789\n1234567891\n' + '.........\n'.repeat(7));
    assert.deepEqual([tooMany.line, tooMany.column], [2, 10]);
    assert.match(tooMany.message, /Row 2 has 10 cells/);
    const tooFew = parseError('........\n' + '.........\n'.repeat(8));
    assert.deepEqual([tooFew.line, tooFew.column], [1, 9]);
    assert.match(tooFew.message, /Row 1 has 8 cells/);
  });

  it('reports too many and too few rows', () => {
    const tooMany = parseError('.........\n'.repeat(10));
    assert.deepEqual([tooMany.line, tooMany.column], [10, 1]);
    const tooFew = parseError('.........\n'.repeat(8));
    assert.deepEqual([tooFew.line, tooFew.column], [8, 10]);
    assert.match(tooFew.message, /Only 8 rows/);
  });

  it('reports a text with no cells at all', () => {
    const error = parseError('------+------\n');
    assert.deepEqual([error.line, error.column], [1, 1]);
  });

  it('names both cells of contradictory givens, with the selection offset', () => {
    const rows = INKALA.match(/.{9}/g)!;
    rows[4] = '4...457..'; // row 5 now holds two 4s, at columns 1 and 5
    const error = parseError(rows.join('\n'), { lineOffset: 2 });
    assert.match(error.message, /Two 4s in row 5/);
    assert.deepEqual([error.line, error.column], [7, 5]);
    assert.deepEqual(error.related, [{ line: 7, column: 1 }]);
  });

  it('finds equal givens in a column and in a box', () => {
    const column = parseError('5........\n' + '.........\n'.repeat(7) + '5........');
    assert.match(column.message, /Two 5s in column 1/);
    assert.deepEqual([column.line, column.column], [9, 1]);
    const box = parseError('7........\n.7.......\n' + '.........\n'.repeat(7));
    assert.match(box.message, /Two 7s in box 1/);
  });
});

function findDeadlyRectangle(solution: number[]): number[] | undefined {
  for (let r1 = 0; r1 < 9; r1++) {
    for (let r2 = r1 + 1; r2 < 3 * Math.floor(r1 / 3) + 3; r2++) {
      for (let c1 = 0; c1 < 9; c1++) {
        for (let c2 = 3 * Math.floor(c1 / 3) + 3; c2 < 9; c2++) {
          const [a, b, c, d] = [r1 * 9 + c1, r1 * 9 + c2, r2 * 9 + c1, r2 * 9 + c2];
          if (solution[a] === solution[d] && solution[b] === solution[c]) return [a, b, c, d];
        }
      }
    }
  }
  return undefined;
}

describe('solveSudoku', () => {
  it('solves the classic puzzle uniquely', () => {
    const result = solveSudoku(parsed(CLASSIC).givens);
    assert.equal(result.status, 'unique');
    assert.equal(sudokuToLine(result.solution!), CLASSIC_SOLUTION);
  });

  it("solves Arto Inkala's puzzle quickly and counts its search nodes", () => {
    const runs = Array.from({ length: 5 }, () => solveSudoku(digits(INKALA)));
    const result = runs[runs.length - 1];
    assert.equal(result.status, 'unique');
    assert.equal(sudokuToLine(result.solution!), INKALA_SOLUTION);
    assert.ok(result.backtracks > 0, 'a hard puzzle needs guessing');
    // Best of five, so a busy machine does not fail the test; the solver takes ~2 ms here.
    const fastest = Math.min(...runs.map((run) => run.ms));
    assert.ok(fastest < 10, `took ${fastest.toFixed(2)} ms`);
    const easy = solveSudoku(parsed(CLASSIC).givens);
    assert.equal(easy.backtracks, 0, 'the classic puzzle needs no guessing');
  });

  it('detects several solutions', () => {
    const result = solveSudoku(new Array(81).fill(0));
    assert.equal(result.status, 'multiple');
    assert.deepEqual(verifySudoku(new Array(81).fill(0), result.solution!), []);
    // Blank a "deadly rectangle" (two rows of one band, two columns of different boxes, digits x/y
    // and y/x): both ways of filling it are solutions.
    const solution = digits(CLASSIC_SOLUTION);
    const rectangle = findDeadlyRectangle(solution);
    assert.ok(rectangle, 'the classic solution has a deadly rectangle');
    const twoWays = [...solution];
    for (const cell of rectangle) twoWays[cell] = 0;
    assert.equal(solveSudoku(twoWays).status, 'multiple');
  });

  it('reports an unsolvable puzzle whose givens do not contradict', () => {
    // r1c9 must be 9 (row 1 holds 1-8) but r2c9 is already 9.
    const givens = digits('12345678.' + '........9' + '.'.repeat(63));
    const result = solveSudoku(givens);
    assert.equal(result.status, 'unsolvable');
    assert.equal(result.solution, null);
  });

  it('reports contradictory givens as unsolvable without searching', () => {
    const result = solveSudoku(digits('11' + '.'.repeat(79)));
    assert.equal(result.status, 'unsolvable');
    assert.equal(result.nodes, 0);
  });
});

describe('verifySudoku', () => {
  const givens = digits(INKALA);
  const solution = digits(INKALA_SOLUTION);

  it('accepts a valid solution', () => {
    assert.deepEqual(verifySudoku(givens, solution), []);
  });

  it('reports a changed given', () => {
    const changed = [...solution];
    [changed[0], changed[1]] = [changed[1], changed[0]]; // r1c1 is the given 8
    const rules = verifySudoku(givens, changed).map((conflict) => conflict.rule);
    assert.ok(rules.includes('given'));
    assert.ok(rules.includes('column'));
  });

  it('reports row, column and box duplicates with their cells', () => {
    const broken = [...solution];
    broken[80] = broken[79]; // r9c9 copies r9c8
    const conflicts = verifySudoku(new Array(81).fill(0), broken);
    const row = conflicts.find((conflict) => conflict.rule === 'row')!;
    assert.deepEqual(row.cells, [
      { row: 8, column: 7 },
      { row: 8, column: 8 },
    ]);
    assert.ok(conflicts.some((conflict) => conflict.rule === 'column'));
    assert.ok(conflicts.some((conflict) => conflict.rule === 'box'));
  });

  it('reports blanks and a wrong length', () => {
    const unfinished = [...solution];
    unfinished[40] = 0;
    const conflicts = verifySudoku(givens, unfinished);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0].rule, 'incomplete');
    assert.deepEqual(conflicts[0].cells, [{ row: 4, column: 4 }]);
    assert.equal(verifySudoku(givens, solution.slice(1))[0].rule, 'incomplete');
  });
});

describe('formatSudoku', () => {
  it('writes digits into the blanks and keeps the layout', () => {
    const puzzle = parsed(CLASSIC);
    const text = formatSudoku(puzzle, digits(CLASSIC_SOLUTION));
    assert.equal(text.split('\n')[1], '5 3 4 | 6 7 8 | 9 1 2');
    assert.equal(text.replace(/[1-9]/g, '.'), CLASSIC.replace(/[1-9]/g, '.'));
    const again = parsed(text);
    assert.equal(sudokuToLine(again.givens), CLASSIC_SOLUTION);
  });

  it('keeps 0-blank style, CRLF line endings and the one-line form', () => {
    const crlf = INKALA.replace(/\./g, '0').match(/.{9}/g)!.join('\r\n') + '\r\n';
    const text = formatSudoku(parsed(crlf), digits(INKALA_SOLUTION));
    assert.equal(text, INKALA_SOLUTION.match(/.{9}/g)!.join('\r\n') + '\r\n');
    assert.equal(formatSudoku(parsed(INKALA), digits(INKALA_SOLUTION)), INKALA_SOLUTION);
  });

  it('never overwrites a given', () => {
    const wrong = new Array(81).fill(1);
    const text = formatSudoku(parsed(INKALA), wrong);
    assert.equal(text[0], '8');
    assert.equal(text[1], '1');
  });
});
