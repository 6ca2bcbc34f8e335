// "Solve Puzzle" in the server: parse the document (or selection), check it has exactly one answer,
// run the HRM one ACT step at a time while streaming each step's grid, verify the network's answer,
// and format it in the user's layout. The classical solver runs only when asked, labelled as such.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { PuzzleStep, SolvePuzzleArgs, SolvePuzzleResult, TextRange } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { runActLoop, type ActResult, type ActStep, type ActStepReport, type CancellationToken } from './hrm';
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

    let model: FamilyModel;
    let step: ActStep;
    try {
      const brain = await this.registry.status('reasoning', puzzle.kind);
      if (brain.state !== 'ready') throw new ModelError('reasoning', brain);
      model = { ...(await familyModel(this.registry, puzzle.kind)), ...this.viewSearch[puzzle.kind] };
      step = await this.createStep(this.registry, model);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      return {
        ...base,
        solver: 'network',
        outcome: 'unavailable',
        unavailable: e.message,
        steps: 0,
        halted: false,
        ms: 0,
        answerRows: null,
        answerText: null,
        problems: [],
      };
    }

    // One ACT loop per view of the grid (one view unless the manifest asks for more). Which view's answer
    // is kept: see `betterView`. The search stops early at a well-formed answer whose halt head is sure,
    // and when the time budget is spent (a failing answer must not keep the user waiting: the view then
    // offers the exact solver at once).
    const tokens = model.encode(puzzle);
    const deadline = model.timeBudgetMs > 0 ? performance.now() + model.timeBudgetMs : undefined;
    const perms = model.side ? squareViews(model.side).slice(0, model.views) : [null];
    let best: ViewAnswer | null = null;
    let steps = 0;
    let ms = 0;
    let views = 0;
    for (const perm of perms) {
      if (views > 0 && deadline !== undefined && performance.now() >= deadline) break;
      views++;
      const stepsBefore = steps;
      const { result, grid } = await runView(model, step, tokens, perm, token, views > 1 ? deadline : undefined, (r, shown) =>
        onStep({ runId, step: stepsBefore + r.step, rows: displayRows(puzzle, model.decode(puzzle, shown)), haltProbability: r.haltProbability, ms: r.ms }),
      );
      steps += result.steps;
      ms += result.ms;
      if (result.status === 'cancelled' || !grid) {
        return { ...base, solver: 'network', steps, halted: false, ms, views, outcome: 'cancelled', answerRows: null, answerText: null, problems: [] };
      }
      const cost = model.viewChoice === 'cost' ? model.answerCost(puzzle, model.decode(puzzle, grid)) : 0;
      const answer = { grid, halt: result.haltProbability, halted: result.status === 'halted', cost };
      if (!best || betterView(answer, best)) best = answer;
      if (endsViewSearch(answer, model.viewStopConfidence)) break;
    }
    const loop = { solver: 'network' as const, steps, halted: best!.halted, ms, views };
    return { ...base, ...loop, ...answered(puzzle, model.decode(puzzle, best!.grid)) };
  }
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
