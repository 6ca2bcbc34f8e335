// The benchmark's puzzle sets: the in-distribution held-out sets (same generators as training, other
// seeds) and the out-of-distribution families made here (bench/ood/*Sets.ts, never used for training).
// `npm run bench:ood-sets` writes the out-of-distribution files; `npm run bench:puzzles` reads them all.
import { Rng } from './rng';
import { anyMaze, corridorLoops, openRooms, placeEnds, randomWalls, type MazeGrid } from './mazeSets';
import { extremePuzzle, randomFullGrid, symmetricPuzzle } from './sudokuSets';

export interface PuzzleSet {
  name: string;
  family: 'sudoku' | 'maze';
  /** Under bench/data/. Sudoku: one 81-character puzzle per line; mazes: separated by blank lines. */
  file: string;
  inDistribution: boolean;
  /** The set the benchmark's headline `sudoku` / `maze` entry reports. */
  headline?: boolean;
  /** Where loop settings are chosen: run only when named with --only, never part of the report. */
  tuning?: boolean;
  description: string;
  /** Writes the set (out-of-distribution sets only). */
  make?: () => string[];
}

function mazes(seed: number, n: number, draw: (rng: Rng) => { maze: MazeGrid; minSteps: number; maxSteps: number }): () => string[] {
  return () => {
    const rng = new Rng(seed);
    const out: string[] = [];
    while (out.length < n) {
      const { maze, minSteps, maxSteps } = draw(rng);
      const placed = placeEnds(rng, maze, minSteps, maxSteps);
      if (placed) out.push(placed.text);
    }
    return out;
  };
}

const sudokuLine = (givens: number[]) => givens.map((d) => (d === 0 ? '.' : String(d))).join('');
const ANY = Infinity;

export const PUZZLE_SETS: PuzzleSet[] = [
  {
    name: 'sudoku-tuning',
    family: 'sudoku',
    file: 'sudoku-tuning.txt',
    inDistribution: true,
    tuning: true,
    description: 'training generator, seed 3, all ratings (training/hrm/tuning_text.py)',
  },
  {
    name: 'maze-tuning',
    family: 'maze',
    file: 'maze-tuning.txt',
    inDistribution: true,
    tuning: true,
    description: 'training generator, seed 2, mazes 500-999 (never in the report)',
  },
  {
    name: 'sudoku-heldout-hard',
    family: 'sudoku',
    file: 'sudoku-heldout.txt',
    inDistribution: true,
    description: 'training generator, seed 2: minimal puzzles with >= 60 guesses of its own solver',
  },
  {
    name: 'sudoku-symmetric',
    family: 'sudoku',
    file: 'ood-sudoku-symmetric.txt',
    inDistribution: false,
    description: 'half-turn symmetric, mostly non-minimal (24-46 givens): easy to hard',
    make: () => {
      const rng = new Rng(1701);
      return Array.from({ length: 200 }, () => sudokuLine(symmetricPuzzle(rng, randomFullGrid(rng), rng.int(24, 46))));
    },
  },
  {
    name: 'sudoku-extreme',
    family: 'sudoku',
    file: 'ood-sudoku-extreme.txt',
    inDistribution: false,
    headline: true,
    description: 'hill climb towards the most backtracks of the exact solver (3000 mutations each)',
    make: () => {
      const rng = new Rng(1702);
      return Array.from({ length: 120 }, () => sudokuLine(extremePuzzle(rng, 3000)));
    },
  },
  {
    name: 'maze-heldout',
    family: 'maze',
    file: 'maze-heldout.txt',
    inDistribution: true,
    description: 'training generator, seed 2: walled 30x30 DFS/Kruskal mazes, unique path >= 99 steps',
  },
  {
    name: 'maze-random-walls',
    family: 'maze',
    file: 'ood-maze-random-walls.txt',
    inDistribution: false,
    headline: true,
    description: '30x30 random walls (25-40%), no outer wall, path >= 60 steps',
    make: mazes(2701, 80, (rng) => ({ maze: randomWalls(rng, 30, 30, 0.25 + 0.15 * rng.next(), false), minSteps: 60, maxSteps: ANY })),
  },
  {
    name: 'maze-random-walls-mixed',
    family: 'maze',
    file: 'ood-maze-random-walls-mixed.txt',
    inDistribution: false,
    description: '30x30 random walls (10-45%), outer wall or not, S and G anywhere',
    make: mazes(2702, 80, (rng) => ({ maze: randomWalls(rng, 30, 30, 0.1 + 0.35 * rng.next(), rng.next() < 0.5), minSteps: 1, maxSteps: ANY })),
  },
  {
    name: 'maze-corridor-loops',
    family: 'maze',
    file: 'ood-maze-corridor-loops.txt',
    inDistribution: false,
    description: '30x30 recursive-division corridors with 10-150 loops, outer wall or not, S and G anywhere',
    make: mazes(2703, 80, (rng) => ({ maze: corridorLoops(rng, 30, 30, rng.int(10, 150), rng.next() < 0.5), minSteps: 1, maxSteps: ANY })),
  },
  {
    name: 'maze-open-rooms',
    family: 'maze',
    file: 'ood-maze-open-rooms.txt',
    inDistribution: false,
    description: '30x30 rooms with doors and 0-15% scattered walls, outer wall or not',
    make: mazes(2704, 80, (rng) => ({ maze: openRooms(rng, 30, 30, 0.15 * rng.next(), rng.next() < 0.5), minSteps: 1, maxSteps: ANY })),
  },
  {
    name: 'maze-small-rect',
    family: 'maze',
    file: 'ood-maze-small-rect.txt',
    inDistribution: false,
    description: 'rectangles 4-29 x 4-29 of any kind above',
    make: mazes(2705, 80, (rng) => ({ maze: anyMaze(rng, rng.int(4, 29), rng.int(4, 29)), minSteps: 1, maxSteps: ANY })),
  },
  {
    name: 'maze-short-paths',
    family: 'maze',
    file: 'ood-maze-short-paths.txt',
    inDistribution: false,
    description: '30x30 of any kind above, S and G 1-15 steps apart',
    make: mazes(2706, 80, (rng) => ({ maze: anyMaze(rng, 30, 30), minSteps: 1, maxSteps: 15 })),
  },
];
