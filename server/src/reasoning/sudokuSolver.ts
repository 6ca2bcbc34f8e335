// Exact Sudoku solver: bitmask backtracking that places forced digits first (naked and hidden
// singles) and otherwise branches on the cell with the fewest candidates (MRV). It counts solutions up to a limit, so one call tells unique / multiple /
// unsolvable, and the number of guesses it had to take back rates how hard the puzzle is.

export type SudokuSolveStatus = 'unique' | 'multiple' | 'unsolvable';

export interface SudokuSolveResult {
  status: SudokuSolveStatus;
  /** The first solution found (81 digits, row-major); null when unsolvable. */
  solution: number[] | null;
  /** Digits placed by the search, forced or guessed. */
  nodes: number;
  /** Guesses that led to a dead end and were taken back: the difficulty rating (0 = no guessing needed). */
  backtracks: number;
  ms: number;
}

// Local copies of the grid size: imported bindings become property getters once bundled for CommonJS,
// which costs more than the search itself in the hot loop.
const SUDOKU_SIZE = 9;
const SUDOKU_CELLS = 81;
const ALL_DIGITS = 0x1ff; // bit d-1 set = digit d used

const ROW_OF = new Uint8Array(SUDOKU_CELLS);
const COLUMN_OF = new Uint8Array(SUDOKU_CELLS);
const BOX_OF = new Uint8Array(SUDOKU_CELLS);
for (let i = 0; i < SUDOKU_CELLS; i++) {
  ROW_OF[i] = Math.floor(i / SUDOKU_SIZE);
  COLUMN_OF[i] = i % SUDOKU_SIZE;
  BOX_OF[i] = 3 * Math.floor(ROW_OF[i] / 3) + Math.floor(COLUMN_OF[i] / 3);
}

// Rows 0-8, columns 9-17, boxes 18-26: typed-array twins of SUDOKU_UNITS, indexed the way the search needs.
const UNIT_CELLS: Uint8Array[] = [];
for (let unit = 0; unit < 3 * SUDOKU_SIZE; unit++) UNIT_CELLS.push(new Uint8Array(SUDOKU_SIZE));
for (let i = 0; i < SUDOKU_CELLS; i++) {
  UNIT_CELLS[ROW_OF[i]][COLUMN_OF[i]] = i;
  UNIT_CELLS[SUDOKU_SIZE + COLUMN_OF[i]][ROW_OF[i]] = i;
  UNIT_CELLS[2 * SUDOKU_SIZE + BOX_OF[i]][3 * (ROW_OF[i] % 3) + (COLUMN_OF[i] % 3)] = i;
}
const NONE = -1;
const DEAD_END = -2;

const BIT_COUNT = new Uint8Array(ALL_DIGITS + 1);
for (let mask = 1; mask <= ALL_DIGITS; mask++) BIT_COUNT[mask] = BIT_COUNT[mask >> 1] + (mask & 1);

class Search {
  readonly grid = new Uint8Array(SUDOKU_CELLS);
  readonly rowUsed = new Uint16Array(SUDOKU_SIZE);
  readonly columnUsed = new Uint16Array(SUDOKU_SIZE);
  readonly boxUsed = new Uint16Array(SUDOKU_SIZE);
  /** Candidate masks per search depth, so a node's scan is not redone by its hidden-single check. */
  readonly candidatesAt = new Uint16Array((SUDOKU_CELLS + 1) * SUDOKU_CELLS);
  nodes = 0;
  backtracks = 0;
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
  run(depth: number): boolean {
    const candidates = this.candidatesAt;
    const base = depth * SUDOKU_CELLS;
    let bestCell = -1;
    let bestMask = 0;
    let bestCount = SUDOKU_SIZE + 1;
    // Scan every blank (no early exit on a single) so the candidate masks are complete for fewestPlaces.
    for (let cell = 0; cell < SUDOKU_CELLS; cell++) {
      if (this.grid[cell] !== 0) continue;
      const mask = this.candidates(cell);
      candidates[base + cell] = mask;
      const count = BIT_COUNT[mask];
      if (count === 0) return false; // dead end: a blank with no digit left
      if (count < bestCount) {
        bestCell = cell;
        bestMask = mask;
        bestCount = count;
      }
    }
    if (bestCell === -1) {
      this.solutions++;
      if (this.firstSolution === null) this.firstSolution = Array.from(this.grid);
      return this.solutions >= this.maxSolutions;
    }
    if (bestCount === 1) return this.tryDigits(depth, bestCell, bestMask, false);
    // A digit with fewer places in some unit than the best cell has digits is the better branch
    // (the "fewest options" rule of dancing links, over both cells and units).
    const fewest = this.fewestPlaces(base, bestCount);
    if (fewest === DEAD_END) return false;
    if (fewest !== NONE) return this.tryPlaces(depth, fewest >> 9, fewest & ALL_DIGITS);
    return this.tryDigits(depth, bestCell, bestMask, true);
  }

  private tryDigits(depth: number, cell: number, digits: number, guessing: boolean): boolean {
    for (let rest = digits; rest !== 0; rest &= rest - 1) {
      if (this.tryPlacement(depth, cell, rest & -rest)) return true;
      if (guessing) this.backtracks++;
    }
    return false;
  }

  /** Try the digit in each blank of the unit where it fits (there are two: fewestPlaces chose it). */
  private tryPlaces(depth: number, unit: number, bit: number): boolean {
    const cells = UNIT_CELLS[unit];
    const base = depth * SUDOKU_CELLS;
    for (let k = 0; k < SUDOKU_SIZE; k++) {
      const cell = cells[k];
      if (this.grid[cell] !== 0 || (this.candidatesAt[base + cell] & bit) === 0) continue;
      if (this.tryPlacement(depth, cell, bit)) return true;
      this.backtracks++;
    }
    return false;
  }

  private tryPlacement(depth: number, cell: number, bit: number): boolean {
    this.nodes++;
    this.place(cell, bit);
    const done = this.run(depth + 1);
    this.remove(cell, bit);
    return done;
  }

  /**
   * The unit and digit with the fewest places, if fewer than `fewerThan` (only counts of 1 and 2 are
   * told apart, which is where it pays). Returns unit << 9 | digit bit, NONE, or DEAD_END when a unit
   * misses a digit that fits nowhere.
   */
  private fewestPlaces(base: number, fewerThan: number): number {
    const candidates = this.candidatesAt;
    let pair = NONE;
    for (let unit = 0; unit < UNIT_CELLS.length; unit++) {
      let once = 0;
      let twice = 0;
      let thrice = 0;
      const cells = UNIT_CELLS[unit];
      for (let k = 0; k < SUDOKU_SIZE; k++) {
        const cell = cells[k];
        if (this.grid[cell] !== 0) continue;
        const mask = candidates[base + cell];
        thrice |= twice & mask;
        twice |= once & mask;
        once |= mask;
      }
      const missing = ALL_DIGITS & ~this.unitUsed(unit);
      if ((missing & ~once) !== 0) return DEAD_END;
      const single = once & ~twice;
      if (single !== 0) return (unit << 9) | (single & -single);
      const double = twice & ~thrice;
      if (pair === NONE && double !== 0 && fewerThan > 2) pair = (unit << 9) | (double & -double);
    }
    return pair;
  }

  private unitUsed(unit: number): number {
    if (unit < SUDOKU_SIZE) return this.rowUsed[unit];
    if (unit < 2 * SUDOKU_SIZE) return this.columnUsed[unit - SUDOKU_SIZE];
    return this.boxUsed[unit - 2 * SUDOKU_SIZE];
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
    const status: SudokuSolveStatus = search.solutions === 0 ? 'unsolvable' : search.solutions === 1 ? 'unique' : 'multiple';
    return { status, solution: search.firstSolution, nodes: search.nodes, backtracks: search.backtracks, ms: performance.now() - started };
  };
  if (givens.length !== SUDOKU_CELLS) return finish();
  for (let cell = 0; cell < SUDOKU_CELLS; cell++) {
    const digit = givens[cell];
    if (digit === 0) continue;
    if (!Number.isInteger(digit) || digit < 1 || digit > 9 || !search.place(cell, 1 << (digit - 1))) return finish();
  }
  search.run(0);
  return finish();
}
