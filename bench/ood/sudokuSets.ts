// Out-of-distribution Sudoku for the benchmark: made by code that shares nothing with the training
// generator (training/hrm/data.py builds a full grid by randomised backtracking from an empty grid, then
// removes single givens in random order down to a MINIMAL puzzle). Here:
//   * full grid: the three diagonal boxes filled with random permutations plus a few random consistent
//     digits, completed by the server's exact solver;
//   * `symmetricPuzzle`: givens removed in 180°-symmetric PAIRS, stopping at a drawn number of givens
//     (mostly NOT minimal: 24-46 givens), which covers easy to hard;
//   * `extremePuzzle`: a hill climb over symmetric puzzles that keeps the mutation (one pair of givens
//     swapped for another) whenever the exact solver's backtracks, averaged over relabelled/transposed
//     copies, do not fall: the hardest puzzles this search finds.
// Hardness everywhere is `rateSudoku`: the backtracks (guesses taken back) of the server's exact solver,
// which places naked and hidden singles before it guesses (plain constraint propagation + search).
import { solveSudoku } from '../../server/src/reasoning/sudokuSolver';
import { Rng } from './rng';

export interface RatedSudoku {
  /** 81 digits, 0 blank. */
  givens: number[];
  backtracks: number;
}

/** Hardness bands by the exact solver's backtracks; the benchmark reports accuracy per band. */
export const SUDOKU_BANDS = [
  { name: 'easy (0 backtracks)', max: 0 },
  { name: 'medium (1-9)', max: 9 },
  { name: 'hard (10-99)', max: 99 },
  { name: 'extreme (100+)', max: Infinity },
] as const;

export function sudokuBand(backtracks: number): string {
  return SUDOKU_BANDS.find((b) => backtracks <= b.max)!.name;
}

export function rateSudoku(givens: number[]): number {
  return solveSudoku(givens).backtracks;
}

function fits(grid: number[], cell: number, digit: number): boolean {
  const row = Math.floor(cell / 9);
  const column = cell % 9;
  const boxRow = row - (row % 3);
  const boxColumn = column - (column % 3);
  for (let k = 0; k < 9; k++) {
    if (grid[row * 9 + k] === digit || grid[k * 9 + column] === digit) return false;
    if (grid[(boxRow + Math.floor(k / 3)) * 9 + boxColumn + (k % 3)] === digit) return false;
  }
  return true;
}

export function randomFullGrid(rng: Rng): number[] {
  for (;;) {
    const grid = new Array<number>(81).fill(0);
    for (const box of [0, 4, 8]) {
      const digits = rng.shuffle([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (let k = 0; k < 9; k++) grid[(3 * Math.floor(box / 3) + Math.floor(k / 3)) * 9 + 3 * (box % 3) + (k % 3)] = digits[k];
    }
    for (let placed = 0, tries = 0; placed < 6 && tries < 100; tries++) {
      const cell = rng.int(0, 80);
      const digit = rng.int(1, 9);
      if (grid[cell] === 0 && fits(grid, cell, digit)) {
        grid[cell] = digit;
        placed++;
      }
    }
    const solved = solveSudoku(grid, 1);
    if (solved.solution) return solved.solution;
  }
}

const isUnique = (givens: number[]) => solveSudoku(givens).status === 'unique';

/** Cell pairs symmetric under a half turn (the centre cell pairs with itself). */
const PAIRS: [number, number][] = Array.from({ length: 41 }, (_, i) => [i, 80 - i]);

/** Remove symmetric pairs in random order while the solution stays unique, down to `targetGivens`. */
export function symmetricPuzzle(rng: Rng, solution: number[], targetGivens: number): number[] {
  const givens = [...solution];
  for (const [a, b] of rng.shuffle([...PAIRS])) {
    if (givens.filter((d) => d !== 0).length <= targetGivens) break;
    const kept = [givens[a], givens[b]];
    givens[a] = givens[b] = 0;
    if (!isUnique(givens)) [givens[a], givens[b]] = kept;
  }
  return givens;
}

/** A relabelled, band/row-permuted, maybe transposed copy: same puzzle, another order for the solver. */
function isomorph(rng: Rng, givens: number[]): number[] {
  const digits = [0, ...rng.shuffle([1, 2, 3, 4, 5, 6, 7, 8, 9])];
  const lines = () => rng.shuffle([0, 1, 2]).flatMap((band) => rng.shuffle([0, 1, 2]).map((r) => 3 * band + r));
  const rows = lines();
  const columns = lines();
  const transpose = rng.next() < 0.5;
  return Array.from({ length: 81 }, (_, i) => {
    const [r, c] = transpose ? [i % 9, Math.floor(i / 9)] : [Math.floor(i / 9), i % 9];
    return digits[givens[rows[r] * 9 + columns[c]]];
  });
}

function meanBacktracks(rng: Rng, givens: number[], copies: number): number {
  let sum = rateSudoku(givens);
  for (let k = 1; k < copies; k++) sum += rateSudoku(isomorph(rng, givens));
  return sum / copies;
}

/**
 * Hill climb towards more backtracks (see the file comment): each mutation swaps one given for another
 * cell's digit (symmetry is not kept: it would narrow the search), keeps the puzzle unique, and is kept
 * when the mean backtracks over `copies` relabelled copies do not fall.
 */
export function extremePuzzle(rng: Rng, iterations: number, copies = 3): number[] {
  const solution = randomFullGrid(rng);
  let givens = symmetricPuzzle(rng, solution, 0);
  let score = meanBacktracks(rng, givens, copies);
  for (let it = 0; it < iterations; it++) {
    const filled = givens.flatMap((d, i) => (d !== 0 ? [i] : []));
    const blank = givens.flatMap((d, i) => (d === 0 ? [i] : []));
    const next = [...givens];
    next[rng.pick(filled)] = 0;
    const added = rng.pick(blank);
    next[added] = solution[added];
    // Now and then drop a second given too, so the number of givens can fall as well as stay.
    if (rng.next() < 0.3) next[rng.pick(filled)] = 0;
    if (!isUnique(next)) continue;
    const nextScore = meanBacktracks(rng, next, copies);
    if (nextScore >= score) {
      givens = next;
      score = nextScore;
    }
  }
  return givens;
}
