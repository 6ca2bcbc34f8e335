import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MazePuzzle, formatMaze, mazePathSteps, parseMaze, pathMask, shortestPath, verifyMazePath } from '../../server/src/reasoning/maze';
import { PuzzleError } from '../../server/src/reasoning/source';

const FRAMED = ['########', '#S     #', '#####  #', '#      #', '# ######', '#     G#', '########'].join('\n');

// The same maze with its only shortest path drawn: 16 'o' cells, so 17 steps from S to G.
const FRAMED_SOLVED = ['########', '#Soooo #', '#####o #', '#ooooo #', '#o######', '#oooooG#', '########'].join('\n');

function parsed(text: string, origin = {}): MazePuzzle {
  const result = parseMaze(text, origin);
  assert.equal(result.kind, 'maze', result.kind === 'error' ? result.message : '');
  return result as MazePuzzle;
}

function parseError(text: string, origin = {}): PuzzleError {
  const result = parseMaze(text, origin);
  assert.equal(result.kind, 'error', 'expected a parse error');
  return result as PuzzleError;
}

function drawn(maze: MazePuzzle, text: string): boolean[] {
  return parsed(text).drawnPath.slice(0, maze.cells.length);
}

describe('parseMaze', () => {
  it('reads a framed maze and finds the BFS distance', () => {
    const maze = parsed(`\n${FRAMED}\n\n`);
    assert.equal(maze.rows, 7);
    assert.equal(maze.columns, 8);
    assert.equal(maze.start, 9);
    assert.equal(maze.goal, 5 * 8 + 6);
    assert.equal(maze.shortestLength, 17);
    assert.deepEqual(maze.positions[maze.start], { line: 3, column: 2 });
  });

  it('pads rows whose trailing spaces an editor stripped, when the maze has no frame', () => {
    const maze = parsed('S  #\n.#\n...G');
    assert.equal(maze.columns, 4);
    assert.deepEqual(maze.cells.slice(4, 8), ['open', 'wall', 'open', 'open']);
    assert.equal(maze.shortestLength, 5);
    assert.equal(maze.openChar, '.');
  });

  it('rejects a short row inside a wall frame', () => {
    const error = parseError(FRAMED.replace('#####  #', '#####'));
    assert.deepEqual([error.line, error.column], [3, 6]);
    assert.match(error.message, /Row 3 has 5 cells but the maze is 8 wide/);
  });

  it('reads an already drawn path as open cells', () => {
    const maze = parsed(FRAMED_SOLVED);
    assert.equal(maze.shortestLength, 17);
    assert.equal(maze.drawnPath.filter(Boolean).length, 16);
  });

  it('names line and column of an unknown character, with the selection offset', () => {
    const error = parseError(FRAMED.replace('#      #', '#   x  #'), { lineOffset: 5, columnOffset: 2 });
    assert.deepEqual([error.line, error.column], [9, 5]);
    assert.match(error.message, /Unexpected character 'x'/);
    const first = parseError('Sx G', { lineOffset: 5, columnOffset: 2 });
    assert.deepEqual([first.line, first.column], [6, 4]);
  });

  it('rejects a maze over 30x30', () => {
    const tall = parseError(['S', ...new Array(30).fill(' '), 'G'].join('\n'));
    assert.deepEqual([tall.line, tall.column], [31, 1]);
    const wide = parseError(`S${' '.repeat(30)}G`);
    assert.deepEqual([wide.line, wide.column], [1, 31]);
    assert.equal(parsed(`S${' '.repeat(28)}G`).columns, 30);
  });

  it('reports a missing or second start and goal', () => {
    const noStart = parseError('\n#  G#');
    assert.deepEqual([noStart.line, noStart.column], [2, 1]);
    assert.match(noStart.message, /No start/);
    assert.match(parseError('S   #').message, /No goal/);
    const twoStarts = parseError('S  \n  S\nG  ');
    assert.deepEqual([twoStarts.line, twoStarts.column], [2, 3]);
    assert.deepEqual(twoStarts.related, [{ line: 1, column: 1 }]);
    const twoGoals = parseError('S G G');
    assert.deepEqual([twoGoals.line, twoGoals.column], [1, 5]);
  });

  it('reports an unreachable goal at the goal', () => {
    const error = parseError('S #\n###\n  G');
    assert.deepEqual([error.line, error.column], [3, 3]);
    assert.match(error.message, /cannot be reached/);
  });

  it('reports an empty text', () => {
    assert.match(parseError('\n  \n').message, /No maze found/);
  });
});

describe('shortestPath', () => {
  it('returns start to goal inclusive, one step at a time', () => {
    const maze = parsed(FRAMED);
    const path = shortestPath(maze)!;
    assert.equal(path[0], maze.start);
    assert.equal(path[path.length - 1], maze.goal);
    assert.equal(path.length - 1, 17);
    assert.deepEqual(verifyMazePath(maze, pathMask(maze, path)), []);
  });

  it('handles an open 30x30 grid', () => {
    const rows = new Array(30).fill('.'.repeat(30));
    rows[0] = 'S' + rows[0].slice(1);
    rows[29] = rows[29].slice(0, 29) + 'G';
    assert.equal(parsed(rows.join('\n')).shortestLength, 58);
  });
});

describe('verifyMazePath', () => {
  const maze = parsed(FRAMED);

  it('accepts the drawn shortest path', () => {
    assert.deepEqual(verifyMazePath(maze, drawn(maze, FRAMED_SOLVED)), []);
  });

  it('accepts S next to G with nothing drawn', () => {
    const adjacent = parsed('SG');
    assert.deepEqual(verifyMazePath(adjacent, [false, false]), []);
  });

  it('reports a path through a wall', () => {
    const path = drawn(maze, FRAMED_SOLVED);
    path[0] = true;
    const problems = verifyMazePath(maze, path);
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ['wall'],
    );
    assert.deepEqual(problems[0].cells, [{ row: 0, column: 0 }]);
  });

  it('reports a broken path where it stops', () => {
    const path = drawn(maze, FRAMED_SOLVED);
    path[3 * 8 + 3] = false; // cut row 4
    const problems = verifyMazePath(maze, path);
    assert.equal(problems[0].kind, 'broken');
    assert.deepEqual(problems[0].cells, [{ row: 3, column: 4 }]);
  });

  it('reports a branch', () => {
    const path = drawn(maze, FRAMED_SOLVED);
    path[1 * 8 + 6] = true; // a spur beside the turn at row 2
    const problems = verifyMazePath(maze, path);
    assert.equal(problems[0].kind, 'branch');
  });

  it('accepts any of several shortest paths', () => {
    const open = parsed('S...\n....\n...G');
    assert.equal(open.shortestLength, 5);
    assert.deepEqual(verifyMazePath(open, drawn(open, 'S...\no...\noooG')), []);
    assert.deepEqual(verifyMazePath(open, drawn(open, 'Sooo\n...o\n...G')), []);
  });

  it('reports marked cells off the path', () => {
    const open = parsed('S...\n....\n...G');
    const problems = verifyMazePath(open, drawn(open, 'S...\no..o\noooG'));
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ['stray'],
    );
    assert.deepEqual(problems[0].cells, [{ row: 1, column: 3 }]);
  });

  it('reports a connected path that is longer than the shortest', () => {
    const loop = parsed('S...G\n.###.\n.....');
    assert.equal(loop.shortestLength, 4);
    const problems = verifyMazePath(loop, drawn(loop, 'S...G\no###o\nooooo'));
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ['not-shortest'],
    );
    assert.match(problems[0].message, /takes 8 steps; the shortest takes 4/);
  });

  it('rejects a mask of the wrong size', () => {
    assert.equal(verifyMazePath(maze, [true])[0].kind, 'size');
  });
});

describe('mazePathSteps', () => {
  const loop = parsed('S...G\n.###.\n.....');

  it('counts the steps of any well-formed chain from S to G, shortest or not', () => {
    assert.equal(mazePathSteps(loop, drawn(loop, 'SoooG\n.###.\n.....')), 4);
    assert.equal(mazePathSteps(loop, drawn(loop, 'S...G\no###o\nooooo')), 8);
  });

  it('is null for a broken, branching, stray or walled drawing', () => {
    assert.equal(mazePathSteps(loop, drawn(loop, 'Soo.G\n.###.\n.....')), null);
    assert.equal(mazePathSteps(loop, drawn(loop, 'SoooG\no###.\n.....')), null);
    assert.equal(mazePathSteps(loop, drawn(loop, 'SoooG\n.###.\n..o..')), null);
    const walled = drawn(loop, 'SoooG\n.###.\n.....');
    walled[6] = true;
    assert.equal(mazePathSteps(loop, walled), null);
  });
});

describe('formatMaze', () => {
  it('draws the shortest path and round-trips to the solved text', () => {
    const maze = parsed(FRAMED);
    assert.equal(formatMaze(maze, pathMask(maze, shortestPath(maze)!)), FRAMED_SOLVED);
  });

  it('clears an old drawn path and keeps the open-cell style and line endings', () => {
    const maze = parsed('S...\r\no...\r\noooG\r\n');
    const text = formatMaze(maze, drawn(maze, 'Sooo\n...o\n...G'));
    assert.equal(text, 'Sooo\r\n...o\r\n...G\r\n');
  });

  it('extends rows that were padded', () => {
    const maze = parsed('S\n  G');
    const text = formatMaze(maze, pathMask(maze, shortestPath(maze)!));
    assert.equal(parsed(text).drawnPath.filter(Boolean).length, 2);
    assert.deepEqual(verifyMazePath(maze, parsed(text).drawnPath), []);
  });

  it('never draws over walls, S or G', () => {
    const maze = parsed(FRAMED);
    const everything = new Array(maze.cells.length).fill(true);
    assert.equal(formatMaze(maze, everything).replace(/o/g, ' '), FRAMED);
  });
});
