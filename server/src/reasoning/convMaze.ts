// The second maze network: a recurrent convolutional two-timescale model (training/hrm/conv_maze.py), shipped as
// models/hrm-maze-conv.onnx under the reasoning brain's `mazeConv` key. One graph call is one cycle, state in and
// state out: (x, z_L, z_H) -> (z_L', z_H', logits), where logits hold per cell 4 scores "moving up / down / left /
// right is one step closer to G". The answer is the network's own: a greedy walk from S by those scores (no
// search, no BFS), halted when the walk reaches G with the same length on `haltRepeats` cycles running, or at
// the cycle cap or the deadline. Model-agnostic like hrm.ts: a cycle is a function (onnxConvCycle wires it to
// onnxruntime), so this file is tested with hand-made direction fields and stub cycles.
import type { ModelRegistry } from '../runtime/models';
import { ModelError } from '../runtime/models';
import { onnxRuntime } from '../runtime/onnxruntime';
import type { CancellationToken } from './hrm';
import type { MazePuzzle } from './maze';

/** The manifest key of the conv maze model under brains.reasoning.files. */
export const CONV_MAZE_KEY = 'mazeConv';

/** Input classes, one-hot over 5 channels (conv_maze.py C_WALL..C_OUT). */
export const CONV_INPUT = { wall: 0, open: 1, start: 2, goal: 3, outside: 4 } as const;
const INPUT_CHANNELS = 5;
/** Direction logit k moves by CONV_DIRECTIONS[k] (row, column): up, down, left, right. */
export const CONV_DIRECTIONS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

export interface ConvMazeSpec {
  /** Side of the square canvas the graph was exported for; the maze sits at (1, 1), the rest is 'outside'. */
  canvas: number;
  /** Channels of z_L and z_H each. */
  channels: number;
  maxCycles: number;
  /** Halt once the walk has reached G with the same length on this many cycles running. */
  haltRepeats: number;
  /** Wall-clock budget of a solve when this model runs alone (the HRM's budget is used when both run). */
  timeBudgetMs: number;
  /** When the HRM runs first, it stops this many ms before the budget ends (its first view too), left to this model. */
  reserveMs: number;
}

export interface ConvCycleOutput {
  zl: Float32Array;
  zh: Float32Array;
  /** [4, canvas, canvas] row-major. */
  logits: Float32Array;
}

export type ConvCycle = (x: Float32Array, zl: Float32Array, zh: Float32Array) => Promise<ConvCycleOutput>;

export interface ConvMaze {
  spec: ConvMazeSpec;
  cycle: ConvCycle;
}

/** The manifest's entry for the conv model, checked; a ModelError says why it cannot be used. */
export async function convMazeSpec(registry: ModelRegistry): Promise<ConvMazeSpec> {
  const status = await registry.status('reasoning', CONV_MAZE_KEY);
  if (status.state !== 'ready') throw new ModelError('reasoning', status);
  const file = (await registry.brainEntry('reasoning')).files[CONV_MAZE_KEY];
  if (!(await registry.hasFile('reasoning', CONV_MAZE_KEY))) {
    throw new ModelError('reasoning', { state: 'not-installed', detail: `model not installed: models/${file?.file ?? 'hrm-maze-conv.onnx'} is missing` });
  }
  const entry = file as unknown as Partial<ConvMazeSpec>;
  for (const key of ['canvas', 'channels', 'maxCycles', 'haltRepeats'] as const) {
    if (!Number.isInteger(entry[key]) || entry[key]! <= 0) {
      throw new ModelError('reasoning', { state: 'corrupt', detail: `models/manifest.json: the ${CONV_MAZE_KEY} model's ${key} must be a positive integer` });
    }
  }
  const budget = entry.timeBudgetMs;
  const reserve = entry.reserveMs;
  return {
    canvas: entry.canvas!,
    channels: entry.channels!,
    maxCycles: entry.maxCycles!,
    haltRepeats: entry.haltRepeats!,
    timeBudgetMs: typeof budget === 'number' && Number.isInteger(budget) && budget > 0 ? budget : 0,
    reserveMs: typeof reserve === 'number' && Number.isInteger(reserve) && reserve > 0 ? reserve : 0,
  };
}

/** The conv model through onnxruntime: one cycle per call. */
export async function onnxConvMaze(registry: ModelRegistry): Promise<ConvMaze> {
  const spec = await convMazeSpec(registry);
  const session = await registry.session('reasoning', CONV_MAZE_KEY);
  const { Tensor } = onnxRuntime();
  const xShape = [1, INPUT_CHANNELS, spec.canvas, spec.canvas];
  const zShape = [1, spec.channels, spec.canvas, spec.canvas];
  const cycle: ConvCycle = async (x, zl, zh) => {
    const out = await session.run({ x: new Tensor('float32', x, xShape), zl: new Tensor('float32', zl, zShape), zh: new Tensor('float32', zh, zShape) });
    return { zl: out.zl_out.data as Float32Array, zh: out.zh_out.data as Float32Array, logits: out.logits.data as Float32Array };
  };
  return { spec, cycle };
}

/** Whether the maze fits the canvas at (1, 1). */
export function fitsConvCanvas(maze: Pick<MazePuzzle, 'rows' | 'columns'>, canvas: number): boolean {
  return maze.rows + 1 <= canvas && maze.columns + 1 <= canvas;
}

/** One-hot input [5, canvas, canvas]: the maze at (1, 1), every other cell 'outside' (no outer wall assumed). */
export function encodeConvMaze(maze: Pick<MazePuzzle, 'rows' | 'columns' | 'cells'>, canvas: number): Float32Array {
  if (!fitsConvCanvas(maze, canvas)) throw new Error(`A ${maze.rows}x${maze.columns} maze does not fit the conv model's ${canvas}x${canvas} canvas`);
  const area = canvas * canvas;
  const x = new Float32Array(INPUT_CHANNELS * area);
  for (let r = 0; r < canvas; r++) {
    for (let c = 0; c < canvas; c++) {
      const inside = r >= 1 && c >= 1 && r <= maze.rows && c <= maze.columns;
      const cls = inside ? CONV_INPUT[maze.cells[(r - 1) * maze.columns + (c - 1)]] : CONV_INPUT.outside;
      x[cls * area + r * canvas + c] = 1;
    }
  }
  return x;
}

export interface ConvWalk {
  /** The walk reached G. */
  reached: boolean;
  /** Steps walked (to G when reached). */
  steps: number;
  /** Row-major mask of the cells walked, S included (and G when reached). */
  path: boolean[];
}

/**
 * The greedy walk from S: at each cell take the legal move (an open, S or G cell inside the maze) with the highest
 * direction logit (ties: up, down, left, right); stop at G, at a dead end, at a revisit, or after rows x columns
 * steps. No search: one pass along the field, as conv_maze.py's decode.
 */
export function decodeConvWalk(maze: Pick<MazePuzzle, 'rows' | 'columns' | 'cells' | 'start' | 'goal'>, logits: ArrayLike<number>, canvas: number): ConvWalk {
  const area = canvas * canvas;
  const path = new Array<boolean>(maze.cells.length).fill(false);
  let row = Math.floor(maze.start / maze.columns);
  let column = maze.start % maze.columns;
  path[maze.start] = true;
  const limit = maze.rows * maze.columns;
  for (let step = 1; step <= limit; step++) {
    let best = -Infinity;
    let move = -1;
    for (let k = 0; k < 4; k++) {
      const r = row + CONV_DIRECTIONS[k][0];
      const c = column + CONV_DIRECTIONS[k][1];
      if (r < 0 || c < 0 || r >= maze.rows || c >= maze.columns || maze.cells[r * maze.columns + c] === 'wall') continue;
      const score = logits[k * area + (row + 1) * canvas + (column + 1)];
      if (move < 0 || score > best) {
        best = score;
        move = k;
      }
    }
    if (move < 0) return { reached: false, steps: step, path };
    row += CONV_DIRECTIONS[move][0];
    column += CONV_DIRECTIONS[move][1];
    const cell = row * maze.columns + column;
    if (cell === maze.goal) {
      path[cell] = true;
      return { reached: true, steps: step, path };
    }
    if (path[cell]) return { reached: false, steps: step, path };
    path[cell] = true;
  }
  return { reached: false, steps: limit, path };
}

export type ConvStatus = 'halted' | 'time-limit' | 'max-cycles' | 'cancelled';

export interface ConvCycleReport {
  /** 1-based. */
  cycle: number;
  walk: ConvWalk;
  /** How much of the halting rule is met: cycles running with the same reaching walk / haltRepeats, at most 1. */
  haltProgress: number;
  ms: number;
}

export interface ConvResult {
  status: ConvStatus;
  cycles: number;
  /** The last cycle's walk; null if cancelled before the first cycle. */
  walk: ConvWalk | null;
  haltProgress: number;
  ms: number;
}

/**
 * Cycles from z_L = z_H = 0 until the walk reaches G with the same length on `haltRepeats` cycles running
 * ('halted'), the cap ('max-cycles'), the deadline ('time-limit'; the first cycle always runs) or cancellation.
 */
export async function runConvLoop(options: {
  model: ConvMaze;
  maze: Pick<MazePuzzle, 'rows' | 'columns' | 'cells' | 'start' | 'goal'>;
  deadline?: number;
  cancellation?: CancellationToken;
  onCycle?: (report: ConvCycleReport) => void | Promise<void>;
}): Promise<ConvResult> {
  const { model, maze, deadline, cancellation, onCycle } = options;
  const { canvas, channels, maxCycles, haltRepeats } = model.spec;
  const started = performance.now();
  const x = encodeConvMaze(maze, canvas);
  const stateSize = channels * canvas * canvas;
  let zl: Float32Array = new Float32Array(stateSize);
  let zh: Float32Array = new Float32Array(stateSize);
  let walk: ConvWalk | null = null;
  let repeats = 0;
  const stop = (status: ConvStatus, cycles: number): ConvResult => ({
    status,
    cycles,
    walk,
    haltProgress: Math.min(1, repeats / haltRepeats),
    ms: performance.now() - started,
  });
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    if (cancellation?.isCancellationRequested) return stop('cancelled', cycle - 1);
    if (cycle > 1 && deadline !== undefined && performance.now() >= deadline) return stop('time-limit', cycle - 1);
    const cycleStarted = performance.now();
    const out = await model.cycle(x, zl, zh);
    if (out.zl.length !== stateSize || out.zh.length !== stateSize || out.logits.length !== 4 * canvas * canvas) {
      throw new Error(`conv maze cycle output does not match the model shape (${out.zl.length}, ${out.zh.length}, ${out.logits.length})`);
    }
    zl = out.zl;
    zh = out.zh;
    const previous = walk;
    walk = decodeConvWalk(maze, out.logits, canvas);
    repeats = walk.reached ? (previous?.reached && previous.steps === walk.steps ? repeats + 1 : 1) : 0;
    await onCycle?.({ cycle, walk, haltProgress: Math.min(1, repeats / haltRepeats), ms: performance.now() - cycleStarted });
    if (repeats >= haltRepeats) return stop('halted', cycle);
  }
  return stop('max-cycles', maxCycles);
}

/** The HRM was trained only on side x side mazes (its manifest's side, 30) with an all-wall outer ring: it goes first only on those. */
export function hrmFirst(maze: Pick<MazePuzzle, 'rows' | 'columns' | 'cells'>, side: number): boolean {
  if (maze.rows !== side || maze.columns !== side) return false;
  for (let r = 0; r < maze.rows; r++) {
    for (let c = 0; c < maze.columns; c++) {
      const border = r === 0 || c === 0 || r === maze.rows - 1 || c === maze.columns - 1;
      if (border && maze.cells[r * maze.columns + c] !== 'wall') return false;
    }
  }
  return true;
}
