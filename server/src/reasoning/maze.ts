// Maze text format: parse (with document positions), BFS shortest path, verify a drawn path,
// and draw a path back into the user's text.
//
// Accepted text: a grid of at most 30x30 cells, one character each: '#' wall, ' ' or '.' open,
// 'S' start, 'G' goal, 'o' a drawn path (read as open; kept as `drawnPath`). Blank lines before and
// after the maze are ignored.
// Ragged rows: editors strip trailing spaces, so a row shorter than the widest one is padded with
// open cells. The exception is a maze framed by walls (first and last rows all '#'): there a short
// row would punch a hole in the frame, so it is reported as an error instead.

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

export const MAX_MAZE_SIDE = 30;

export type MazeCell = 'wall' | 'open' | 'start' | 'goal';

export interface MazePuzzle {
  kind: 'maze';
  rows: number;
  columns: number;
  /** rows * columns entries, row-major. */
  cells: MazeCell[];
  start: number;
  goal: number;
  /** Cells drawn as 'o' in the text (an earlier answer); they count as open. */
  drawnPath: boolean[];
  /** Steps on a shortest path from start to goal (by BFS). */
  shortestLength: number;
  /** Where each cell sits in the document (padded cells sit past their line's end). */
  positions: SourcePosition[];
  layout: TextLayout;
  /** Index of the maze's first row among layout.lines. */
  firstLineIndex: number;
  /** The character this maze uses for open cells, so redrawing a path keeps the style. */
  openChar: ' ' | '.';
}

export type MazeProblemKind = 'size' | 'wall' | 'broken' | 'branch' | 'stray' | 'not-shortest';

export interface MazeProblem {
  kind: MazeProblemKind;
  cells: GridCell[];
  message: string;
}

const CELL_OF_CHAR: Record<string, MazeCell> = { '#': 'wall', ' ': 'open', '.': 'open', o: 'open', S: 'start', G: 'goal' };

export function parseMaze(text: string, origin: TextOrigin = {}): MazePuzzle | PuzzleError {
  const layout = splitLayout(text, origin);
  const firstLineIndex = layout.lines.findIndex((line) => !isBlankLine(line));
  if (firstLineIndex === -1) return puzzleError(layout, 0, 0, "No maze found: expected rows of '#', ' ', 'S' and 'G'");
  let lastLineIndex = layout.lines.length - 1;
  while (isBlankLine(layout.lines[lastLineIndex])) lastLineIndex--;
  const rowTexts = layout.lines.slice(firstLineIndex, lastLineIndex + 1);

  const rows = rowTexts.length;
  if (rows > MAX_MAZE_SIDE) {
    return puzzleError(layout, firstLineIndex + MAX_MAZE_SIDE, 0, `The maze has ${rows} rows; at most ${MAX_MAZE_SIDE} are supported`);
  }
  for (let r = 0; r < rows; r++) {
    const row = rowTexts[r];
    for (let c = 0; c < row.length; c++) {
      if (!Object.hasOwn(CELL_OF_CHAR, row[c])) {
        return puzzleError(
          layout,
          firstLineIndex + r,
          c,
          `Unexpected character '${row[c]}': a maze cell is '#' (wall), ' ' or '.' (open), 'S' (start), 'G' (goal) or 'o' (path)`,
        );
      }
    }
    if (row.length > MAX_MAZE_SIDE) {
      return puzzleError(layout, firstLineIndex + r, MAX_MAZE_SIDE, `Row ${r + 1} has ${row.length} cells; at most ${MAX_MAZE_SIDE} are supported`);
    }
  }
  const columns = Math.max(...rowTexts.map((row) => row.length));
  const framed = rows >= 2 && [rowTexts[0], rowTexts[rows - 1]].every((row) => row.length === columns && /^#+$/.test(row));
  if (framed) {
    const short = rowTexts.findIndex((row) => row.length < columns);
    if (short !== -1) {
      return puzzleError(
        layout,
        firstLineIndex + short,
        rowTexts[short].length,
        `Row ${short + 1} has ${rowTexts[short].length} cells but the maze is ${columns} wide`,
      );
    }
  }

  const cells: MazeCell[] = [];
  const drawnPath: boolean[] = [];
  const positions: SourcePosition[] = [];
  const starts: number[] = [];
  const goals: number[] = [];
  let dots = 0;
  let spaces = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const typed = rowTexts[r][c];
      const char = typed ?? ' ';
      const cell = CELL_OF_CHAR[char];
      if (cell === 'start') starts.push(cells.length);
      if (cell === 'goal') goals.push(cells.length);
      if (char === '.') dots++;
      if (typed === ' ') spaces++; // padding is not the user's style
      cells.push(cell);
      drawnPath.push(char === 'o');
      positions.push(documentPosition(layout, firstLineIndex + r, c));
    }
  }

  const markerError = (indexes: number[], name: string, letter: string): PuzzleError | undefined => {
    if (indexes.length === 0) {
      return puzzleError(layout, firstLineIndex, 0, `No ${name}: mark the ${name} cell with '${letter}'`);
    }
    if (indexes.length > 1) {
      const [first, second] = indexes.map((i) => positions[i]);
      return {
        kind: 'error',
        message: `Two ${name}s ('${letter}') at ${describePosition(first)} and ${describePosition(second)}; a maze has one`,
        ...second,
        related: [first],
      };
    }
    return undefined;
  };
  const markerProblem = markerError(starts, 'start', 'S') ?? markerError(goals, 'goal', 'G');
  if (markerProblem) return markerProblem;

  const maze: MazePuzzle = {
    kind: 'maze',
    rows,
    columns,
    cells,
    start: starts[0],
    goal: goals[0],
    drawnPath,
    shortestLength: -1,
    positions,
    layout,
    firstLineIndex,
    openChar: dots > spaces ? '.' : ' ',
  };
  const path = shortestPath(maze);
  if (path === null) {
    return {
      kind: 'error',
      message: `The goal at ${describePosition(positions[maze.goal])} cannot be reached from the start at ${describePosition(positions[maze.start])}`,
      ...positions[maze.goal],
      related: [positions[maze.start]],
    };
  }
  maze.shortestLength = path.length - 1;
  return maze;
}

/** The 4-neighbours of a cell inside the grid, in a fixed order (up, right, down, left). */
export function neighbours(maze: Pick<MazePuzzle, 'rows' | 'columns'>, cell: number): number[] {
  const row = Math.floor(cell / maze.columns);
  const column = cell % maze.columns;
  const result: number[] = [];
  if (row > 0) result.push(cell - maze.columns);
  if (column < maze.columns - 1) result.push(cell + 1);
  if (row < maze.rows - 1) result.push(cell + maze.columns);
  if (column > 0) result.push(cell - 1);
  return result;
}

/** A shortest path by BFS: cell indexes from start to goal inclusive, or null if the goal is unreachable. */
export function shortestPath(maze: Pick<MazePuzzle, 'rows' | 'columns' | 'cells' | 'start' | 'goal'>): number[] | null {
  const cameFrom = new Int32Array(maze.cells.length).fill(-1);
  cameFrom[maze.start] = maze.start;
  const queue = [maze.start];
  for (let head = 0; head < queue.length; head++) {
    const cell = queue[head];
    if (cell === maze.goal) break;
    for (const next of neighbours(maze, cell)) {
      if (cameFrom[next] !== -1 || maze.cells[next] === 'wall') continue;
      cameFrom[next] = cell;
      queue.push(next);
    }
  }
  if (cameFrom[maze.goal] === -1) return null;
  const path = [maze.goal];
  while (path[path.length - 1] !== maze.start) path.push(cameFrom[path[path.length - 1]]);
  return path.reverse();
}

/** Path cells as a row-major mask, the form the model and the drawn text both give. */
export function pathMask(maze: Pick<MazePuzzle, 'cells'>, path: Iterable<number>): boolean[] {
  const mask = new Array<boolean>(maze.cells.length).fill(false);
  for (const cell of path) mask[cell] = true;
  return mask;
}

function gridCellOf(maze: MazePuzzle, index: number): GridCell {
  return { row: Math.floor(index / maze.columns), column: index % maze.columns };
}

function cellName(maze: MazePuzzle, index: number): string {
  const { row, column } = gridCellOf(maze, index);
  return `row ${row + 1}, column ${column + 1}`;
}

/**
 * Check a path given as a mask of marked cells (marks on S and G are allowed and ignored): it must be
 * within open cells, one connected chain of 4-neighbour steps from S to G with no branches or stray
 * cells, and as short as the BFS distance. Returns every problem found; empty means a correct answer.
 */
export function verifyMazePath(maze: MazePuzzle, onPath: ArrayLike<boolean>): MazeProblem[] {
  const { problems, steps } = traceMazePath(maze, onPath);
  if (steps !== null && steps > maze.shortestLength) {
    problems.push({
      kind: 'not-shortest',
      cells: [],
      message: `The path takes ${steps} steps; the shortest takes ${maze.shortestLength}`,
    });
  }
  return problems;
}

/**
 * Steps of the marked S-to-G chain when the marks form one (open cells only, no branch, no stray cell),
 * else null. A check of the drawing's shape alone: no search of the maze, and nothing about whether
 * a shorter way exists.
 */
export function mazePathSteps(maze: MazePuzzle, onPath: ArrayLike<boolean>): number | null {
  const { problems, steps } = traceMazePath(maze, onPath);
  return problems.length === 0 ? steps : null;
}

/** Walk the marked cells from S: the problems with the drawing's shape, and its steps if it reaches G. */
function traceMazePath(maze: MazePuzzle, onPath: ArrayLike<boolean>): { problems: MazeProblem[]; steps: number | null } {
  if (onPath.length !== maze.cells.length) {
    return { problems: [{ kind: 'size', cells: [], message: `Expected ${maze.cells.length} cells, got ${onPath.length}` }], steps: null };
  }
  const problems: MazeProblem[] = [];
  const inWalls: number[] = [];
  const chain = new Set<number>([maze.start, maze.goal]);
  for (let cell = 0; cell < maze.cells.length; cell++) {
    if (!onPath[cell] || cell === maze.start || cell === maze.goal) continue;
    if (maze.cells[cell] === 'wall') inWalls.push(cell);
    else chain.add(cell);
  }
  if (inWalls.length > 0) {
    problems.push({
      kind: 'wall',
      cells: inWalls.map((i) => gridCellOf(maze, i)),
      message: `The path goes through ${inWalls.length} wall cell${inWalls.length === 1 ? '' : 's'}, first at ${cellName(maze, inWalls[0])}`,
    });
  }

  // Walk from S; every step must have exactly one way on, until G is next door.
  const visited = new Set<number>([maze.start]);
  let current = maze.start;
  let reachedGoal = false;
  while (!reachedGoal) {
    const ways = neighbours(maze, current).filter((next) => chain.has(next) && !visited.has(next));
    if (ways.includes(maze.goal)) {
      reachedGoal = true;
      visited.add(maze.goal);
    } else if (ways.length === 1) {
      current = ways[0];
      visited.add(current);
    } else {
      const where = current === maze.start ? 'at the start' : `at ${cellName(maze, current)}`;
      problems.push(
        ways.length === 0
          ? { kind: 'broken', cells: [gridCellOf(maze, current)], message: `The path stops ${where} without reaching the goal` }
          : {
              kind: 'branch',
              cells: [current, ...ways].map((i) => gridCellOf(maze, i)),
              message: `The path branches ${where} into ${ways.length} ways`,
            },
      );
      return { problems, steps: null };
    }
  }

  const stray = [...chain].filter((cell) => !visited.has(cell));
  if (stray.length > 0) {
    problems.push({
      kind: 'stray',
      cells: stray.map((i) => gridCellOf(maze, i)),
      message: `${stray.length} marked cell${stray.length === 1 ? ' is' : 's are'} not on the path from S to G, first at ${cellName(maze, stray[0])}`,
    });
  }
  return { problems, steps: visited.size - 1 };
}

/**
 * The maze's text with the path drawn as 'o' on open cells (S, G and walls are never overwritten) and
 * any earlier drawn path cleared; everything else is kept as typed.
 */
export function formatMaze(maze: MazePuzzle, onPath: ArrayLike<boolean>): string {
  const editsByLine = new Map<number, Map<number, string>>();
  for (let cell = 0; cell < maze.cells.length; cell++) {
    const draw = onPath[cell] === true && maze.cells[cell] === 'open';
    if (draw === maze.drawnPath[cell]) continue;
    const lineIndex = maze.firstLineIndex + Math.floor(cell / maze.columns);
    const charIndex = cell % maze.columns;
    // Clearing a cell past the line's end (a padded cell) needs no edit.
    if (!draw && charIndex >= maze.layout.lines[lineIndex].length) continue;
    const edits = editsByLine.get(lineIndex) ?? new Map<number, string>();
    edits.set(charIndex, draw ? 'o' : maze.openChar);
    editsByLine.set(lineIndex, edits);
  }
  const lines = maze.layout.lines.map((line, i) => replaceChars(line, editsByLine.get(i) ?? new Map(), maze.openChar));
  return joinLayout(maze.layout, lines);
}
