// Exact Sudoku solver: bitmask backtracking that always branches on the cell with the fewest
// candidates (MRV). It counts solutions up to a limit, so one call tells unique / multiple /
// unsolvable, and the number of search nodes it needed rates how hard the puzzle is.

import { SUDOKU_CELLS, SUDOKU_SIZE } from './sudoku';

export type SudokuSolveStatus = 'unique' | 'multiple' | 'unsolvable';

export interface SudokuSolveResult {
  status: SudokuSolveStatus;
  /** The first solution found (81 digits, row-major); null when unsolvable. */
  solution: number[] | null;
  /** Digits placed by the search (each a branch tried): the difficulty rating. */
  nodes: number;
  ms: number;
}

const ALL_DIGITS = 0x1ff; // bit d-1 set = digit d used

const ROW_OF = new Uint8Array(SUDOKU_CELLS);
const COLUMN_OF = new Uint8Array(SUDOKU_CELLS);
const BOX_OF = new Uint8Array(SUDOKU_CELLS);
for (let i = 0; i < SUDOKU_CELLS; i++) {
  ROW_OF[i] = Math.floor(i / SUDOKU_SIZE);
  COLUMN_OF[i] = i % SUDOKU_SIZE;
  BOX_OF[i] = 3 * Math.floor(ROW_OF[i] / 3) + Math.floor(COLUMN_OF[i] / 3);
}

const BIT_COUNT = new Uint8Array(ALL_DIGITS + 1);
for (let mask = 1; mask <= ALL_DIGITS; mask++) BIT_COUNT[mask] = BIT_COUNT[mask >> 1] + (mask & 1);

class Search {
  readonly grid = new Uint8Array(SUDOKU_CELLS);
  readonly rowUsed = new Uint16Array(SUDOKU_SIZE);
  readonly columnUsed = new Uint16Array(SUDOKU_SIZE);
  readonly boxUsed = new Uint16Array(SUDOKU_SIZE);
  nodes = 0;
  solutions = 0;
  firstSolution: number[] | null = null;

  constructor(private readonly maxSolutions: number) {}

  candidates(cell: number): number {
    return ALL_DIGITS & ~(this.rowUsed[ROW_OF[cell]] | this.columnUsed[COLUMN_OF[cell]] | this.boxUsed[BOX_OF[cell]]);
  }

  /** Place a digit given as its bit; false if the digit is already used in the cell's units. */
  place(cell: number, bit: number): boolean {
    if ((~this.candidates(cell) & bit) !== 0) return false;
    this.grid[cell] = 31 - Math.clz32(bit) + 1;
    this.rowUsed[ROW_OF[cell]] |= bit;
    this.columnUsed[COLUMN_OF[cell]] |= bit;
    this.boxUsed[BOX_OF[cell]] |= bit;
    return true;
  }

  remove(cell: number, bit: number): void {
    this.grid[cell] = 0;
    this.rowUsed[ROW_OF[cell]] &= ~bit;
    this.columnUsed[COLUMN_OF[cell]] &= ~bit;
    this.boxUsed[BOX_OF[cell]] &= ~bit;
  }

  /** Returns true once enough solutions were found to stop. */
  run(): boolean {
    let bestCell = -1;
    let bestMask = 0;
    let bestCount = SUDOKU_SIZE + 1;
    for (let cell = 0; cell < SUDOKU_CELLS; cell++) {
      if (this.grid[cell] !== 0) continue;
      const mask = this.candidates(cell);
      const count = BIT_COUNT[mask];
      if (count === 0) return false; // dead end: a blank with no digit left
      if (count < bestCount) {
        bestCell = cell;
        bestMask = mask;
        bestCount = count;
        if (count === 1) break;
      }
    }
    if (bestCell === -1) {
      this.solutions++;
      if (this.firstSolution === null) this.firstSolution = Array.from(this.grid);
      return this.solutions >= this.maxSolutions;
    }
    for (let rest = bestMask; rest !== 0; rest &= rest - 1) {
      const bit = rest & -rest;
      this.nodes++;
      this.place(bestCell, bit);
      const done = this.run();
      this.remove(bestCell, bit);
      if (done) return true;
    }
    return false;
  }
}

/**
 * Solve exactly. `maxSolutions` = 2 (the default) is enough to tell a unique puzzle from one with
 * several solutions; contradictory or out-of-range givens make the puzzle 'unsolvable'.
 */
export function solveSudoku(givens: ArrayLike<number>, maxSolutions = 2): SudokuSolveResult {
  const started = performance.now();
  const search = new Search(Math.max(1, maxSolutions));
  const finish = (): SudokuSolveResult => {
    const status: SudokuSolveStatus =
      search.solutions === 0 ? 'unsolvable' : search.solutions === 1 ? 'unique' : 'multiple';
    return { status, solution: search.firstSolution, nodes: search.nodes, ms: performance.now() - started };
  };
  if (givens.length !== SUDOKU_CELLS) return finish();
  for (let cell = 0; cell < SUDOKU_CELLS; cell++) {
    const digit = givens[cell];
    if (digit === 0) continue;
    if (!Number.isInteger(digit) || digit < 1 || digit > 9 || !search.place(cell, 1 << (digit - 1))) return finish();
  }
  search.run();
  return finish();
}
