// Out-of-distribution mazes for the benchmark, made by code that shares nothing with the training
// generators (training/hrm/data.py). Every maze here is written with '.' for open cells (a row of
// spaces would read as a blank line between mazes) and parsed by the server's own reader.
//   * random walls: each cell a wall with a drawn probability, with or without an outer wall ring;
//   * corridors with loops: recursive division (not the DFS/Kruskal trees training uses), then many
//     walls knocked out, corridors on either cell parity, the ring kept or cut off;
//   * open rooms: rectangles split by one-cell walls with doors, walls scattered inside;
//   * any of those on rectangles smaller than 30x30, and with S and G anywhere at a drawn BFS distance.
import { Rng } from './rng';

export interface MazeGrid {
  rows: number;
  columns: number;
  /** '#' wall, '.' open; S and G are placed by `placeEnds`. */
  cells: string[];
}

/** Path-length bands (BFS steps from S to G); the benchmark reports accuracy per band. */
export const MAZE_BANDS = [
  { name: 'short path (1-19 steps)', max: 19 },
  { name: 'medium path (20-59)', max: 59 },
  { name: 'long path (60+)', max: Infinity },
] as const;

export function mazeBand(steps: number): string {
  return MAZE_BANDS.find((b) => steps <= b.max)!.name;
}

function grid(rows: number, columns: number, fill: '#' | '.'): MazeGrid {
  return { rows, columns, cells: new Array<string>(rows * columns).fill(fill) };
}

function ring(maze: MazeGrid): void {
  for (let r = 0; r < maze.rows; r++) {
    for (let c = 0; c < maze.columns; c++) {
      if (r === 0 || c === 0 || r === maze.rows - 1 || c === maze.columns - 1) maze.cells[r * maze.columns + c] = '#';
    }
  }
}

export function randomWalls(rng: Rng, rows: number, columns: number, density: number, outerWall: boolean): MazeGrid {
  const maze = grid(rows, columns, '.');
  for (let i = 0; i < maze.cells.length; i++) if (rng.next() < density) maze.cells[i] = '#';
  if (outerWall) ring(maze);
  return maze;
}

/**
 * Recursive division on a (rows+2)x(columns+2) field whose corridor cells sit at a drawn parity, then
 * `holes` wall cells between corridors opened (loops); the outer ring is cut off unless `outerWall`.
 */
export function corridorLoops(rng: Rng, rows: number, columns: number, holes: number, outerWall: boolean): MazeGrid {
  const shift = rng.int(0, 1); // 0: corridors on odd cells of the field, 1: on even cells (after the crop)
  const R = rows + 2 + shift;
  const C = columns + 2 + shift;
  const field = grid(R, C, '.');
  ring(field);
  const wall = (r: number, c: number) => (field.cells[r * C + c] = '#');
  // Walls on even lines, gaps on odd cells: divide the open box [r0, r1] x [c0, c1] (odd bounds).
  const divide = (r0: number, r1: number, c0: number, c1: number): void => {
    const height = r1 - r0;
    const width = c1 - c0;
    if (height < 2 && width < 2) return;
    const horizontal = height > width || (height === width && rng.next() < 0.5);
    if (horizontal && height >= 2) {
      const r = r0 + 1 + 2 * rng.int(0, (height - 2) / 2);
      const gap = c0 + 2 * rng.int(0, width / 2);
      for (let c = c0; c <= c1; c++) if (c !== gap) wall(r, c);
      divide(r0, r - 1, c0, c1);
      divide(r + 1, r1, c0, c1);
    } else if (width >= 2) {
      const c = c0 + 1 + 2 * rng.int(0, (width - 2) / 2);
      const gap = r0 + 2 * rng.int(0, height / 2);
      for (let r = r0; r <= r1; r++) if (r !== gap) wall(r, c);
      divide(r0, r1, c0, c - 1);
      divide(r0, r1, c + 1, c1);
    }
  };
  const last = (n: number) => ((n - 2) % 2 === 1 ? n - 2 : n - 3);
  divide(1, last(R), 1, last(C));
  // Corners of the division lines are never gaps; wall them so corridors stay one cell wide.
  for (let r = 2; r < R - 1; r += 2) for (let c = 2; c < C - 1; c += 2) wall(r, c);
  const between = field.cells.flatMap((cell, i) => {
    const r = Math.floor(i / C);
    const c = i % C;
    return cell === '#' && r > 0 && c > 0 && r < R - 1 && c < C - 1 && (r + c) % 2 === 1 ? [i] : [];
  });
  for (const i of rng.shuffle(between).slice(0, holes)) field.cells[i] = '.';
  const maze = grid(rows, columns, '.');
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) maze.cells[r * columns + c] = field.cells[(r + 1 + shift) * C + c + 1 + shift];
  if (outerWall) ring(maze);
  return maze;
}

/** Rooms: the grid cut by one-cell walls into rectangles, 1-3 doors in each wall, walls scattered inside. */
export function openRooms(rng: Rng, rows: number, columns: number, scatter: number, outerWall: boolean): MazeGrid {
  const maze = grid(rows, columns, '.');
  const cut = (r0: number, r1: number, c0: number, c1: number, depth: number): void => {
    const height = r1 - r0 + 1;
    const width = c1 - c0 + 1;
    if (depth > 3 || (height < 9 && width < 9) || rng.next() < 0.15) return;
    if (height >= width) {
      const r = rng.int(r0 + 3, r1 - 3);
      for (let c = c0; c <= c1; c++) maze.cells[r * columns + c] = '#';
      for (let d = rng.int(1, 3); d > 0; d--) maze.cells[r * columns + rng.int(c0, c1)] = '.';
      cut(r0, r - 1, c0, c1, depth + 1);
      cut(r + 1, r1, c0, c1, depth + 1);
    } else {
      const c = rng.int(c0 + 3, c1 - 3);
      for (let r = r0; r <= r1; r++) maze.cells[r * columns + c] = '#';
      for (let d = rng.int(1, 3); d > 0; d--) maze.cells[rng.int(r0, r1) * columns + c] = '.';
      cut(r0, r1, c0, c - 1, depth + 1);
      cut(r0, r1, c + 1, c1, depth + 1);
    }
  };
  cut(0, rows - 1, 0, columns - 1, 0);
  for (let i = 0; i < maze.cells.length; i++) if (rng.next() < scatter) maze.cells[i] = '#';
  if (outerWall) ring(maze);
  return maze;
}

function bfsSteps(maze: MazeGrid, from: number): Int32Array {
  const steps = new Int32Array(maze.cells.length).fill(-1);
  steps[from] = 0;
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const cell = queue[head];
    const r = Math.floor(cell / maze.columns);
    const c = cell % maze.columns;
    const next = [r > 0 ? cell - maze.columns : -1, c < maze.columns - 1 ? cell + 1 : -1, r < maze.rows - 1 ? cell + maze.columns : -1, c > 0 ? cell - 1 : -1];
    for (const n of next) {
      if (n >= 0 && steps[n] === -1 && maze.cells[n] !== '#') {
        steps[n] = steps[cell] + 1;
        queue.push(n);
      }
    }
  }
  return steps;
}

/**
 * S on a random open cell and G on an open cell between `minSteps` and `maxSteps` BFS steps away, or
 * null when this maze has no such pair (after a few starts). Returns the maze's text ('.' open).
 */
export function placeEnds(rng: Rng, maze: MazeGrid, minSteps: number, maxSteps: number): { text: string; steps: number } | null {
  const open = maze.cells.flatMap((cell, i) => (cell === '.' ? [i] : []));
  if (open.length < 2) return null;
  for (let attempt = 0; attempt < 8; attempt++) {
    const start = rng.pick(open);
    const steps = bfsSteps(maze, start);
    const goals = open.filter((i) => steps[i] >= Math.max(1, minSteps) && steps[i] <= maxSteps);
    if (goals.length === 0) continue;
    const goal = rng.pick(goals);
    const cells = [...maze.cells];
    cells[start] = 'S';
    cells[goal] = 'G';
    const lines: string[] = [];
    for (let r = 0; r < maze.rows; r++) lines.push(cells.slice(r * maze.columns, (r + 1) * maze.columns).join(''));
    return { text: lines.join('\n'), steps: steps[goal] };
  }
  return null;
}

export type MazeMaker = (rng: Rng, rows: number, columns: number) => MazeGrid;

/** One of the three kinds above with drawn settings (used by the mixed families). */
export const anyMaze: MazeMaker = (rng, rows, columns) => {
  const outerWall = rng.next() < 0.5;
  const kind = rng.int(0, 2);
  if (kind === 0) return randomWalls(rng, rows, columns, 0.1 + 0.35 * rng.next(), outerWall);
  if (kind === 1) return corridorLoops(rng, rows, columns, rng.int(0, Math.floor((rows * columns) / 8)), outerWall);
  return openRooms(rng, rows, columns, 0.12 * rng.next(), outerWall);
};
