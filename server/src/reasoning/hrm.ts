// The HRM's adaptive-computation (ACT) loop and the token encodings of each puzzle family.
// Model-agnostic: one ACT step is a function (the lead wires it to an ONNX session in runtime/),
// so this file stays free of onnxruntime and is tested with a fake model.
//
// Vocabularies used here (the reasoning entry of models/manifest.json is the source of truth; changing an id
// is one edit in SUDOKU_VOCABULARY / MAZE_VOCABULARY below):
//   Sudoku, 81 positions   input:  0 blank, d for digit d (1-9)
//                          output: 9 classes, class k = digit k+1
//   Maze, 30x30 = 900      input:  0 wall, 1 open, 2 start, 3 goal; smaller mazes padded with walls
//                                  on the right and bottom; a drawn path 'o' is encoded as open
//                          output: 2 classes, 1 = on the shortest path (S and G included), 0 = not
// (as training/hrm/data.py labels it today)

import { MazeCell, MazePuzzle } from './maze';
import { SUDOKU_CELLS } from './sudoku';

export interface SudokuVocabulary {
  input: { blank: number; firstDigit: number };
  output: { firstDigit: number };
  classes: number;
}

export const SUDOKU_VOCABULARY: SudokuVocabulary = {
  input: { blank: 0, firstDigit: 1 },
  output: { firstDigit: 0 },
  classes: 9,
};

export interface MazeVocabulary {
  /** The model's fixed grid side; positions = side * side. */
  side: number;
  input: Record<MazeCell, number> & { padding: number };
  output: { path: number };
  classes: number;
}

export const MAZE_VOCABULARY: MazeVocabulary = {
  side: 30,
  input: { wall: 0, open: 1, start: 2, goal: 3, padding: 0 },
  output: { path: 1 },
  classes: 2,
};

export function encodeSudoku(givens: ArrayLike<number>, vocabulary = SUDOKU_VOCABULARY): Int32Array {
  const tokens = new Int32Array(SUDOKU_CELLS);
  for (let i = 0; i < SUDOKU_CELLS; i++) {
    const digit = givens[i];
    tokens[i] = digit >= 1 && digit <= 9 ? vocabulary.input.firstDigit + digit - 1 : vocabulary.input.blank;
  }
  return tokens;
}

/** Per-position classes (argmax of the logits) → 81 digits; a class outside 1-9 decodes to 0 (blank). */
export function decodeSudoku(classes: ArrayLike<number>, vocabulary = SUDOKU_VOCABULARY): number[] {
  return Array.from({ length: SUDOKU_CELLS }, (_, i) => {
    const digit = classes[i] - vocabulary.output.firstDigit + 1;
    return digit >= 1 && digit <= 9 ? digit : 0;
  });
}

export function encodeMaze(maze: MazePuzzle, vocabulary = MAZE_VOCABULARY): Int32Array {
  const { side } = vocabulary;
  if (maze.rows > side || maze.columns > side) {
    throw new Error(`A ${maze.rows}x${maze.columns} maze does not fit the model's ${side}x${side} grid`);
  }
  const tokens = new Int32Array(side * side).fill(vocabulary.input.padding);
  for (let r = 0; r < maze.rows; r++) {
    for (let c = 0; c < maze.columns; c++) tokens[r * side + c] = vocabulary.input[maze.cells[r * maze.columns + c]];
  }
  return tokens;
}

/** Per-position classes over the model's side x side grid → the maze's row-major path mask. */
export function decodeMazePath(maze: MazePuzzle, classes: ArrayLike<number>, vocabulary = MAZE_VOCABULARY): boolean[] {
  const path: boolean[] = [];
  for (let r = 0; r < maze.rows; r++) {
    for (let c = 0; c < maze.columns; c++) path.push(classes[r * vocabulary.side + c] === vocabulary.output.path);
  }
  return path;
}

/** ONNX graphs exported from PyTorch usually take int64 token ids. */
export function toInt64(tokens: Int32Array): BigInt64Array {
  return BigInt64Array.from(tokens, (token) => BigInt(token));
}

/** logits: [positions, classes] row-major → the most likely class per position. */
export function argmaxClasses(logits: Float32Array, positions: number, classes: number): Int32Array {
  const grid = new Int32Array(positions);
  for (let p = 0; p < positions; p++) {
    let best = 0;
    let bestLogit = -Infinity;
    for (let k = 0; k < classes; k++) {
      const logit = logits[p * classes + k];
      if (logit > bestLogit) {
        bestLogit = logit;
        best = k;
      }
    }
    grid[p] = best;
  }
  return grid;
}

export function haltProbability(haltLogit: number): number {
  return 1 / (1 + Math.exp(-haltLogit));
}

export interface ActStepOutput {
  zH: Float32Array;
  zL: Float32Array;
  /** [positions, classes], read from z_H. */
  logits: Float32Array;
  haltLogit: number;
}

/** One ACT step of the model: H_cycles x (L_cycles L updates + one H update), then the heads. */
export type ActStep = (tokens: Int32Array | BigInt64Array, zH: Float32Array, zL: Float32Array) => Promise<ActStepOutput>;

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
}

export interface ActStepReport {
  /** 1-based. */
  step: number;
  /** The most likely class per position after this step. */
  grid: Int32Array;
  haltProbability: number;
  /** This step's wall time. */
  ms: number;
}

export interface ActLoopOptions {
  step: ActStep;
  tokens: Int32Array | BigInt64Array;
  /** N: positions with logits. */
  positions: number;
  /** D: hidden size of z_H and z_L. */
  hiddenSize: number;
  /** V: output classes per position. */
  classes: number;
  maxSteps: number;
  /**
   * Halt only when the halt head fires AND the answer did not change in that step. A halt head that fires
   * one step early otherwise returns an answer the very next step would have finished (measured on mazes).
   */
  haltWhenStable?: boolean;
  /**
   * Stop as 'stalled' once the answer has not changed for this many steps while the halt probability did
   * not rise over them: a network that stopped improving would otherwise run to maxSteps and make the
   * user wait for an answer that is not going to change. 0 or absent: never.
   */
  stallSteps?: number;
  /** performance.now() after which no further step starts ('time-limit'); the first step always runs. */
  deadline?: number;
  /** Positions in z_H/z_L when the graph keeps extra (e.g. puzzle-embedding) positions; defaults to N. */
  statePositions?: number;
  /** Awaited, so a caller can stream each step before the next one starts. */
  onStep?: (report: ActStepReport) => void | Promise<void>;
  cancellation?: CancellationToken;
}

export type ActStatus = 'halted' | 'stalled' | 'time-limit' | 'max-steps' | 'cancelled';

export interface ActResult {
  status: ActStatus;
  /** Steps run. */
  steps: number;
  /** The last step's classes per position; null if cancelled before the first step. */
  grid: Int32Array | null;
  haltProbability: number;
  /** Wall time of the whole loop. */
  ms: number;
}

/**
 * Run ACT steps from z_H = z_L = 0 until the halt head says stop (halt logit > 0, i.e. probability > 0.5;
 * with haltWhenStable also the answer unchanged since the previous step), the answer stalls (stallSteps),
 * the deadline passes, or maxSteps; the cancellation token and the deadline are checked before every step.
 */
export async function runActLoop(options: ActLoopOptions): Promise<ActResult> {
  const { step, tokens, positions, hiddenSize, classes, maxSteps, onStep, cancellation } = options;
  const stateSize = (options.statePositions ?? positions) * hiddenSize;
  const started = performance.now();
  let zH: Float32Array = new Float32Array(stateSize);
  let zL: Float32Array = new Float32Array(stateSize);
  let grid: Int32Array | null = null;
  let lastHaltProbability = 0;
  // Steps the current answer has stayed the same, and the halt probability when it first appeared.
  let unchangedSteps = 0;
  let haltWhenAnswerAppeared = 0;
  const stallSteps = options.stallSteps ?? 0;
  const stop = (status: ActStatus, steps: number): ActResult => ({
    status,
    steps,
    grid,
    haltProbability: lastHaltProbability,
    ms: performance.now() - started,
  });

  for (let stepNumber = 1; stepNumber <= maxSteps; stepNumber++) {
    if (cancellation?.isCancellationRequested) return stop('cancelled', stepNumber - 1);
    if (stepNumber > 1 && options.deadline !== undefined && performance.now() >= options.deadline) return stop('time-limit', stepNumber - 1);
    const stepStarted = performance.now();
    const output = await step(tokens, zH, zL);
    checkStepOutput(output, stateSize, positions * classes);
    zH = output.zH;
    zL = output.zL;
    const previous = grid;
    grid = argmaxClasses(output.logits, positions, classes);
    lastHaltProbability = haltProbability(output.haltLogit);
    await onStep?.({ step: stepNumber, grid, haltProbability: lastHaltProbability, ms: performance.now() - stepStarted });
    const unchanged = previous !== null && sameClasses(previous, grid);
    const settled = !options.haltWhenStable || unchanged;
    if (output.haltLogit > 0 && settled) return stop('halted', stepNumber);
    if (unchanged) {
      unchangedSteps++;
    } else {
      unchangedSteps = 0;
      haltWhenAnswerAppeared = lastHaltProbability;
    }
    if (stallSteps > 0 && unchangedSteps >= stallSteps && lastHaltProbability <= haltWhenAnswerAppeared) return stop('stalled', stepNumber);
  }
  return stop('max-steps', Math.max(0, maxSteps));
}

function sameClasses(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A model whose tensors do not match the declared shapes would decode garbage; fail loudly instead. */
function checkStepOutput(output: ActStepOutput, stateSize: number, logitsSize: number): void {
  const mismatches: string[] = [];
  if (output.zH.length !== stateSize) mismatches.push(`z_H has ${output.zH.length} values, expected ${stateSize}`);
  if (output.zL.length !== stateSize) mismatches.push(`z_L has ${output.zL.length} values, expected ${stateSize}`);
  if (output.logits.length !== logitsSize) mismatches.push(`logits have ${output.logits.length} values, expected ${logitsSize}`);
  if (mismatches.length > 0) throw new Error(`ACT step output does not match the model shape: ${mismatches.join('; ')}`);
}
