// "Solve Puzzle" in the server: parse the document (or selection), check it has exactly one answer,
// run the HRM one ACT step at a time while streaming each step's grid, verify the network's answer,
// and format it in the user's layout. The classical solver runs only when asked, labelled as such.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { PuzzleStep, SolvePuzzleArgs, SolvePuzzleResult, TextRange } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { runActLoop, type ActResult, type ActStep, type ActStepReport, type CancellationToken } from './hrm';
import { CONV_MAZE_KEY, fitsConvCanvas, hrmFirst, runConvLoop, type ConvMaze } from './convMaze';
import type { MazePuzzle } from './maze';
import { familyModel, type FamilyModel } from './models';
import { fromView, squareViews, toView, type ViewPermutation } from './views';
import { formatAnswer, parsePuzzle, solveExactly, solverError, verifyAnswer, type Puzzle, type PuzzleAnswer, type PuzzleFamily } from './puzzle';
import { describePosition, type PuzzleError } from './source';
import { sudokuToLine } from './sudoku';

/** A puzzle the user must fix, with where; the server turns it into an error response. */
export class PuzzleInputError extends Error {
  constructor(readonly error: PuzzleError) {
    super(`${describePosition(error)}: ${error.message}`);
  }
}

export type StepSink = (step: PuzzleStep) => void;

/** What a caller may change about how a family's views are searched (the benchmark compares rules). */
export type ViewSearch = Partial<Pick<FamilyModel, 'views' | 'viewStopConfidence' | 'viewChoice' | 'stallSteps' | 'timeBudgetMs'>>;

export class PuzzleSolver {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly createStep: (registry: ModelRegistry, model: FamilyModel) => Promise<ActStep>,
    private readonly viewSearch: Partial<Record<PuzzleFamily, ViewSearch>> = {},
    /** The second maze network (convMaze.ts); absent: the HRM alone. */
    private readonly createConvMaze?: (registry: ModelRegistry) => Promise<ConvMaze>,
  ) {}

  async solve(doc: TextDocument, args: SolvePuzzleArgs, token: CancellationToken, onStep: StepSink): Promise<SolvePuzzleResult> {
    const range = args.range ?? wholeDocument(doc);
    const text = doc.getText(range);
    const puzzle = parsePuzzle(text, { languageId: doc.languageId, lineOffset: range.start.line, columnOffset: range.start.character });
    if (puzzle.kind === 'error') throw new PuzzleInputError(puzzle);
    const exact = solveExactly(puzzle);
    const unsolvable = solverError(puzzle, exact);
    if (unsolvable) throw new PuzzleInputError(unsolvable);

    const runId = args.runId ?? `run-${Date.now()}`;
    const base = {
      runId,
      family: puzzle.kind,
      puzzleRows: displayRows(puzzle, null),
      range,
      version: doc.version,
    };
    if (args.exact) {
      return { ...base, ...answered(puzzle, exact.answer!), solver: 'exact', steps: 0, halted: true, ms: exact.ms };
    }

    let model: FamilyModel | null = null;
    let step: ActStep | null = null;
    let hrmOff: string | undefined;
    try {
      const brain = await this.registry.status('reasoning', puzzle.kind);
      if (brain.state !== 'ready') throw new ModelError('reasoning', brain);
      model = { ...(await familyModel(this.registry, puzzle.kind)), ...this.viewSearch[puzzle.kind] };
      step = await this.createStep(this.registry, model);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      hrmOff = e.message;
    }
    // Mazes have a second network (convMaze.ts); when its file is missing or corrupt, the HRM alone answers, as before.
    let conv: ConvMaze | null = null;
    let convOff: string | undefined;
    if (puzzle.kind === 'maze' && this.createConvMaze) {
      try {
        conv = await this.createConvMaze(this.registry);
        if (!fitsConvCanvas(puzzle, conv.spec.canvas)) throw new ModelError('reasoning', { state: 'error', detail: 'the maze does not fit its canvas' });
      } catch (e) {
        if (!(e instanceof ModelError)) throw e;
        conv = null;
        convOff = `conv maze model off: ${e.message}`;
      }
    }
    const unavailable = (why: string): SolvePuzzleResult => ({
      ...base,
      solver: 'network',
      outcome: 'unavailable',
      unavailable: why,
      steps: 0,
      halted: false,
      ms: 0,
      answerRows: null,
      answerText: null,
      problems: [],
    });
    if ((!model || !step) && !conv) return unavailable(hrmOff!);

    // The maze cascade: one network first, the other with what is left of the time budget when the first gives no
    // answer that passes verification. The HRM goes first only on what it was trained on (30x30, all-wall outer
    // ring), the conv model on everything else. Each answer is one network's own; `network` says whose.
    const budgetMs = model?.timeBudgetMs || conv?.spec.timeBudgetMs || 0;
    const deadline = budgetMs > 0 ? performance.now() + budgetMs : undefined;
    const order: MazeNetwork[] = !conv
      ? ['hrm']
      : !model
        ? ['conv']
        : puzzle.kind === 'maze' && model.side !== null && hrmFirst(puzzle, model.side)
          ? ['hrm', 'conv']
          : ['conv', 'hrm'];
    const tried: NonNullable<SolvePuzzleResult['tried']> = [];
    let steps = 0;
    let ms = 0;
    let first: NetworkAnswer | null = null;
    for (const network of order) {
      if (tried.length > 0 && deadline !== undefined && performance.now() >= deadline) break;
      const stepsBefore = steps;
      let run: NetworkAnswer;
      if (network === 'hrm') {
        // First with the conv model after it: the HRM stops `reserveMs` before the deadline (its first view too), so a
        // failing HRM answer leaves the conv model time to run. Second, or alone: as before.
        const reserve = tried.length === 0 && order.length > 1 ? conv!.spec.reserveMs : 0;
        const hrmDeadline = deadline !== undefined && reserve > 0 ? deadline - reserve : deadline;
        run = await this.runHrm(puzzle, model!, step!, token, tried.length > 0 || reserve > 0, hrmDeadline, (s) =>
          onStep({ ...s, runId, step: stepsBefore + s.step }),
        );
      } else {
        try {
          run = await runConv(puzzle as MazePuzzle, conv!, token, deadline, (s) => onStep({ ...s, runId, step: stepsBefore + s.step }));
        } catch (e) {
          // A graph that loads but does not run: turn the conv model off (the status says why) and go on without it.
          convOff = `conv maze model off: ${this.registry.markFailed('reasoning', { state: 'corrupt', detail: `conv maze model failed to run: ${String(e).split('\n')[0]}` }, CONV_MAZE_KEY).message}`;
          if (!model) return unavailable(`${hrmOff}; ${convOff}`);
          continue;
        }
      }
      steps += run.steps;
      ms += run.ms;
      if (run.cancelled) {
        return {
          ...base,
          solver: 'network',
          network,
          steps,
          halted: false,
          ms,
          outcome: 'cancelled',
          answerRows: null,
          answerText: null,
          problems: [],
          tried,
          ...note(convOff),
        };
      }
      const verdict = answered(puzzle, run.answer!);
      tried.push({ network, steps: run.steps, ms: run.ms, outcome: verdict.outcome as 'verified' | 'failed' });
      const result: SolvePuzzleResult = {
        ...base,
        solver: 'network',
        network,
        steps,
        halted: run.halted,
        ms,
        ...(run.views !== undefined ? { views: run.views } : {}),
        ...verdict,
        ...note(convOff),
      };
      if (verdict.outcome === 'verified') return puzzle.kind === 'maze' ? { ...result, tried } : result;
      first ??= { ...run, result };
    }
    // No network's answer passed: the first network's answer is shown (and the exact solver offered, as before).
    const shown = first!.result!;
    return puzzle.kind === 'maze' ? { ...shown, steps, ms, tried } : shown;
  }

  /**
   * The HRM: one ACT loop per view of the grid (one view unless the manifest asks for more). Which view's answer is
   * kept: see `betterView`. The search stops early at a well-formed answer whose halt head is sure, and when the
   * time budget is spent (a failing answer must not keep the user waiting: the view then offers the exact solver at
   * once). The first view runs to its own end unless `late` (the HRM runs second in the maze cascade, or first with a
   * time reserve for the conv model).
   */
  private async runHrm(
    puzzle: Puzzle,
    model: FamilyModel,
    step: ActStep,
    token: CancellationToken,
    late: boolean,
    deadline: number | undefined,
    onStep: (s: Omit<PuzzleStep, 'runId'>) => void,
  ): Promise<NetworkAnswer> {
    const tokens = model.encode(puzzle);
    const perms = model.side ? squareViews(model.side).slice(0, model.views) : [null];
    let best: ViewAnswer | null = null;
    let steps = 0;
    let ms = 0;
    let views = 0;
    for (const perm of perms) {
      if (views > 0 && deadline !== undefined && performance.now() >= deadline) break;
      views++;
      const stepsBefore = steps;
      const { result, grid } = await runView(model, step, tokens, perm, token, views > 1 || late ? deadline : undefined, (r, shown) =>
        onStep({ step: stepsBefore + r.step, rows: displayRows(puzzle, model.decode(puzzle, shown)), haltProbability: r.haltProbability, ms: r.ms }),
      );
      steps += result.steps;
      ms += result.ms;
      if (result.status === 'cancelled' || !grid) return { cancelled: true, steps, ms, halted: false, views, answer: null };
      const cost = model.viewChoice === 'cost' ? model.answerCost(puzzle, model.decode(puzzle, grid)) : 0;
      const answer = { grid, halt: result.haltProbability, halted: result.status === 'halted', cost };
      if (!best || betterView(answer, best)) best = answer;
      if (endsViewSearch(answer, model.viewStopConfidence)) break;
    }
    return { cancelled: false, steps, ms, halted: best!.halted, views, answer: model.decode(puzzle, best!.grid) };
  }
}

type MazeNetwork = 'hrm' | 'conv';

interface NetworkAnswer {
  cancelled: boolean;
  steps: number;
  ms: number;
  halted: boolean;
  views?: number;
  answer: PuzzleAnswer | null;
  result?: SolvePuzzleResult;
}

/** The conv maze network's loop, its cycles streamed as steps (the walk drawn as the path). */
async function runConv(
  puzzle: MazePuzzle,
  model: ConvMaze,
  token: CancellationToken,
  deadline: number | undefined,
  onStep: (s: Omit<PuzzleStep, 'runId'>) => void,
): Promise<NetworkAnswer> {
  const result = await runConvLoop({
    model,
    maze: puzzle,
    deadline,
    cancellation: token,
    onCycle: (r) => onStep({ step: r.cycle, rows: displayRows(puzzle, { kind: 'maze', path: r.walk.path }), haltProbability: r.haltProgress, ms: r.ms }),
  });
  if (result.status === 'cancelled' || !result.walk) return { cancelled: true, steps: result.cycles, ms: result.ms, halted: false, answer: null };
  return { cancelled: false, steps: result.cycles, ms: result.ms, halted: result.status === 'halted', answer: { kind: 'maze', path: result.walk.path } };
}

function note(convOff: string | undefined): Pick<SolvePuzzleResult, 'note'> {
  return convOff ? { note: convOff } : {};
}

/**
 * One ACT loop on one view of the puzzle (perm null: the grid as it is). `grid` and the grids passed to
 * `onStep` are mapped back to the puzzle's own layout; `grid` is null when the loop produced none.
 */
export async function runView(
  model: FamilyModel,
  step: ActStep,
  tokens: BigInt64Array,
  perm: ViewPermutation | null,
  cancellation: CancellationToken,
  deadline?: number,
  onStep?: (report: ActStepReport, grid: Int32Array) => void,
): Promise<{ result: ActResult; grid: Int32Array | null }> {
  const back = (grid: Int32Array) => (perm ? fromView(grid, perm) : grid);
  const result = await runActLoop({
    step,
    tokens: perm ? toView(tokens, perm) : tokens,
    positions: model.positions,
    hiddenSize: model.hiddenSize,
    classes: model.classes,
    statePositions: model.statePositions,
    maxSteps: model.maxSteps,
    haltWhenStable: model.haltWhenStable,
    stallSteps: model.stallSteps,
    deadline,
    cancellation,
    onStep: onStep && ((r) => onStep(r, back(r.grid))),
  });
  return { result, grid: result.grid ? back(result.grid) : null };
}

/** How the view choice sees an answer: its halt probability and its family's answerCost. */
export interface ViewScore {
  halt: number;
  /** The family's answerCost; null when malformed; 0 for every answer when views are chosen by the halt head alone. */
  cost: number | null;
}

interface ViewAnswer extends ViewScore {
  grid: Int32Array;
  halted: boolean;
}

/**
 * Whether answer `a` beats `b`: a well-formed answer beats a malformed one, then the lower cost wins
 * (a shorter S-to-G path), then the more confident halt head. Every candidate is the network's own
 * answer; the costs read only their shape, so the exact solver plays no part.
 */
export function betterView(a: ViewScore, b: ViewScore): boolean {
  if ((a.cost === null) !== (b.cost === null)) return a.cost !== null;
  if (a.cost !== null && b.cost !== null && a.cost !== b.cost) return a.cost < b.cost;
  return a.halt > b.halt;
}

/** The search over views ends at a well-formed answer whose halt head is at least `stop` sure. */
export function endsViewSearch(v: ViewScore, stop: number): boolean {
  return v.cost !== null && v.halt >= stop;
}

/** Verify an answer and format it for the document and the view. */
function answered(puzzle: Puzzle, answer: PuzzleAnswer): Pick<SolvePuzzleResult, 'outcome' | 'answerRows' | 'answerText' | 'problems'> {
  const problems = verifyAnswer(puzzle, answer).map((p) => ({ message: p.message, cells: p.cells }));
  return {
    outcome: problems.length === 0 ? 'verified' : 'failed',
    answerRows: displayRows(puzzle, answer),
    answerText: formatAnswer(puzzle, answer),
    problems,
  };
}

/** The grid as plain rows for the view: Sudoku digits with '.' blanks; the maze with 'o' on the path. */
export function displayRows(puzzle: Puzzle, answer: PuzzleAnswer | null): string[] {
  if (puzzle.kind === 'sudoku') {
    const digits = answer?.kind === 'sudoku' ? answer.digits.map((d, i) => puzzle.givens[i] || d) : puzzle.givens;
    const line = sudokuToLine(digits);
    return Array.from({ length: 9 }, (_, r) => line.slice(r * 9, r * 9 + 9));
  }
  const glyph = { wall: '#', open: ' ', start: 'S', goal: 'G' } as const;
  const rows: string[] = [];
  for (let r = 0; r < puzzle.rows; r++) {
    let row = '';
    for (let c = 0; c < puzzle.columns; c++) {
      const i = r * puzzle.columns + c;
      const onPath = answer?.kind === 'maze' && answer.path[i] && puzzle.cells[i] === 'open';
      row += onPath ? 'o' : glyph[puzzle.cells[i]];
    }
    rows.push(row);
  }
  return rows;
}

function wholeDocument(doc: TextDocument): TextRange {
  return { start: { line: 0, character: 0 }, end: doc.positionAt(doc.getText().length) };
}
