// The HRM models as the manifest describes them (models/manifest.json → brains.reasoning.files):
// one ONNX graph per family that runs one ACT step, plus the numbers the loop needs.
import type { ModelRegistry } from '../runtime/models';
import { ModelError } from '../runtime/models';
import { onnxRuntime } from '../runtime/onnxruntime';
import { decodeMazePath, decodeSudoku, encodeMaze, encodeSudoku, MAZE_VOCABULARY, SUDOKU_VOCABULARY, toInt64, type ActStep } from './hrm';
import { mazePathSteps } from './maze';
import type { Puzzle, PuzzleAnswer, PuzzleFamily } from './puzzle';

export interface FamilyModel {
  family: PuzzleFamily;
  /** N: positions with an answer class. */
  positions: number;
  /** Positions in z_H/z_L (N plus any extra positions the graph keeps). */
  statePositions: number;
  hiddenSize: number;
  classes: number;
  maxSteps: number;
  /** How many grid views (rotations/reflections) to try, and the halt confidence that ends the search. */
  views: number;
  viewStopConfidence: number;
  /**
   * How the solver picks among views (solve.ts): 'halt' keeps the view with the most confident halt head;
   * 'cost' keeps the well-formed answer of least `answerCost`, the halt head breaking ties.
   */
  viewChoice: 'halt' | 'cost';
  /**
   * A well-formed answer's cost (maze: steps of the drawn S-to-G chain; Sudoku: 0 once every cell has a
   * digit), null when the answer is not well-formed. Reads only the answer's shape: no search, no solver.
   */
  answerCost(puzzle: Puzzle, answer: PuzzleAnswer): number | null;
  /** Halt only once the answer stopped changing (see ActLoopOptions.haltWhenStable). */
  haltWhenStable: boolean;
  /** Stop a view whose answer stalled for this many steps (ActLoopOptions.stallSteps); 0 = never. */
  stallSteps: number;
  /**
   * Wall-clock budget of one solve over all views, in ms (0 = none): no view starts after it, and views
   * after the first stop at it; the first view always runs to its own end so it keeps its one-view accuracy.
   */
  timeBudgetMs: number;
  /** Grid side of the model's canvas, when its cells form a square grid that views may rotate. */
  side: number | null;
  encode(puzzle: Puzzle): BigInt64Array;
  decode(puzzle: Puzzle, classes: ArrayLike<number>): PuzzleAnswer;
}

/** Fields the training side writes into each family's manifest entry. */
interface HrmManifestEntry {
  positions: number;
  statePositions?: number;
  hiddenSize: number;
  classes: number;
  maxSteps: number;
  views?: number;
  viewStopConfidence?: number;
  viewChoice?: string;
  haltWhenStable?: boolean;
  stallSteps?: number;
  timeBudgetMs?: number;
}

export async function familyModel(registry: ModelRegistry, family: PuzzleFamily): Promise<FamilyModel> {
  const entry = (await registry.brainEntry('reasoning')).files[family] as unknown as (HrmManifestEntry & { file: string }) | undefined;
  if (!entry) {
    throw new ModelError('reasoning', { state: 'not-installed', detail: `model not installed: models/manifest.json has no ${family} model` });
  }
  for (const key of ['positions', 'hiddenSize', 'classes', 'maxSteps'] as const) {
    if (!Number.isInteger(entry[key]) || entry[key] <= 0) {
      throw new ModelError('reasoning', { state: 'corrupt', detail: `models/manifest.json: the ${family} model's ${key} must be a positive integer` });
    }
  }
  const common = {
    family,
    positions: entry.positions,
    statePositions: entry.statePositions ?? entry.positions,
    hiddenSize: entry.hiddenSize,
    classes: entry.classes,
    maxSteps: entry.maxSteps,
    views: Math.max(1, Math.min(8, entry.views ?? 1)),
    viewStopConfidence: entry.viewStopConfidence ?? 1,
    haltWhenStable: entry.haltWhenStable === true,
    stallSteps: nonNegativeInteger(entry.stallSteps),
    timeBudgetMs: nonNegativeInteger(entry.timeBudgetMs),
    viewChoice: entry.viewChoice === 'cost' ? ('cost' as const) : ('halt' as const),
  };
  if (family === 'sudoku') {
    return {
      ...common,
      side: null,
      encode: (p) => toInt64(encodeSudoku(p.kind === 'sudoku' ? p.givens : [])),
      decode: (_p, classes) => ({ kind: 'sudoku', digits: decodeSudoku(classes, SUDOKU_VOCABULARY) }),
      answerCost: (_p, answer) => (answer.kind === 'sudoku' && answer.digits.every((d) => d >= 1 && d <= 9) ? 0 : null),
    };
  }
  return {
    ...common,
    side: MAZE_VOCABULARY.side,
    encode: (p) => {
      if (p.kind !== 'maze') throw new Error('not a maze');
      return toInt64(encodeMaze(p, MAZE_VOCABULARY));
    },
    decode: (p, classes) => ({ kind: 'maze', path: p.kind === 'maze' ? decodeMazePath(p, classes, MAZE_VOCABULARY) : [] }),
    answerCost: (p, answer) => (p.kind === 'maze' && answer.kind === 'maze' ? mazePathSteps(p, answer.path) : null),
  };
}

function nonNegativeInteger(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** One ACT step through onnxruntime: (tokens, z_H, z_L) → (z_H', z_L', logits, halt logit). */
export async function onnxActStep(registry: ModelRegistry, model: FamilyModel): Promise<ActStep> {
  const session = await registry.session('reasoning', model.family);
  const { Tensor } = onnxRuntime();
  const state = [1, model.statePositions, model.hiddenSize];
  return async (tokens, zH, zL) => {
    const ids = tokens instanceof BigInt64Array ? tokens : toInt64(tokens);
    const out = await session.run({
      tokens: new Tensor('int64', ids, [1, ids.length]),
      z_H: new Tensor('float32', zH, state),
      z_L: new Tensor('float32', zL, state),
    });
    return {
      zH: out.z_H_next.data as Float32Array,
      zL: out.z_L_next.data as Float32Array,
      logits: out.logits.data as Float32Array,
      haltLogit: (out.halt_logit.data as Float32Array)[0],
    };
  };
}
