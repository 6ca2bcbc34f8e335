import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Puzzle, detectFamily, formatAnswer, parsePuzzle, solveExactly, solverError, verifyAnswer } from '../../server/src/reasoning/puzzle';

const SUDOKU = `
53..7....
6..195...
.98....6.
8...6...3
4..8.3..1
7...2...6
.6....28.
...419..5
....8..79
`;

const MAZE = ['#######', '#S  # #', '# #   #', '#   #G#', '#######'].join('\n');

function parsed(text: string, languageId?: string): Puzzle {
  const result = parsePuzzle(text, { languageId });
  assert.notEqual(result.kind, 'error', result.kind === 'error' ? result.message : '');
  return result as Puzzle;
}

describe('detectFamily', () => {
  it('trusts the language id', () => {
    assert.equal(detectFamily('anything', 'maze'), 'maze');
    assert.equal(detectFamily('#S G#', 'sudoku'), 'sudoku');
  });

  it('tells the families apart from the text', () => {
    assert.equal(detectFamily(SUDOKU), 'sudoku');
    assert.equal(detectFamily('5 3 . | . 7 .\n------+------'), 'sudoku');
    assert.equal(detectFamily(MAZE), 'maze');
    assert.equal(detectFamily('S..\n..G'), 'maze');
    assert.equal(detectFamily('hello world'), undefined);
  });
});

describe('parsePuzzle', () => {
  it('parses each family and keeps selection offsets', () => {
    const sudoku = parsePuzzle(SUDOKU, { lineOffset: 3, columnOffset: 2 });
    assert.equal(sudoku.kind, 'sudoku');
    if (sudoku.kind === 'sudoku') assert.deepEqual(sudoku.positions[0], { line: 5, column: 1 });
    const maze = parsePuzzle(MAZE, { languageId: 'maze' });
    assert.equal(maze.kind, 'maze');
  });

  it('returns an error with a position for text that is no puzzle', () => {
    const error = parsePuzzle('\n  hello world\n');
    assert.equal(error.kind, 'error');
    if (error.kind === 'error') {
      assert.deepEqual([error.line, error.column], [2, 3]);
      assert.match(error.message, /Not a puzzle/);
    }
    const arc = parsePuzzle('{"train": []}');
    assert.equal(arc.kind, 'error');
    if (arc.kind === 'error') assert.match(arc.message, /ARC/);
  });

  it('reports errors of the family the language id names', () => {
    const error = parsePuzzle('S..\n..G', { languageId: 'sudoku', lineOffset: 9 });
    assert.equal(error.kind, 'error');
    if (error.kind === 'error') assert.deepEqual([error.line, error.column], [10, 1]);
  });
});

describe('solve, verify and format through one entry point', () => {
  it('solves a Sudoku exactly, verifies it and writes it back', () => {
    const puzzle = parsed(SUDOKU);
    const result = solveExactly(puzzle);
    assert.equal(result.status, 'solved');
    assert.equal(solverError(puzzle, result), undefined);
    assert.deepEqual(verifyAnswer(puzzle, result.answer!), []);
    const text = formatAnswer(puzzle, result.answer!);
    assert.equal(text.split('\n')[1], '534678912');
    assert.equal(text.startsWith('\n') && text.endsWith('\n'), true);
  });

  it('solves a maze exactly, verifies it and draws it', () => {
    const puzzle = parsed(MAZE);
    const result = solveExactly(puzzle);
    assert.equal(result.status, 'solved');
    assert.deepEqual(verifyAnswer(puzzle, result.answer!), []);
    const text = formatAnswer(puzzle, result.answer!);
    assert.equal(text, ['#######', '#Soo# #', '# #ooo#', '#   #G#', '#######'].join('\n'));
  });

  it('reports a Sudoku with several solutions or none as a positioned error', () => {
    const empty = parsed('.........\n'.repeat(9), 'sudoku');
    const several = solveExactly(empty);
    assert.equal(several.status, 'multiple');
    assert.match(solverError(empty, several)!.message, /more than one solution/);
    const stuck = parsed('12345678.\n........9\n' + '.........\n'.repeat(7));
    const none = solveExactly(stuck);
    assert.equal(none.status, 'unsolvable');
    assert.deepEqual(solverError(stuck, none), { kind: 'error', message: 'This Sudoku has no solution', line: 1, column: 1 });
  });

  it('reports verification problems of a wrong answer', () => {
    const puzzle = parsed(MAZE);
    const problems = verifyAnswer(puzzle, { kind: 'maze', path: new Array(35).fill(false) });
    assert.equal(problems[0].rule, 'broken');
    assert.equal(verifyAnswer(puzzle, { kind: 'sudoku', digits: [] })[0].rule, 'family');
  });
});
