// Grid views for the maze HRM, and the solver's choice among them: by the halt head alone, or by the
// shape of each view's answer (well-formed S-to-G chain, fewest steps) with the halt head breaking ties.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ActStep } from '../../server/src/reasoning/hrm';
import { encodeMaze, MAZE_VOCABULARY } from '../../server/src/reasoning/hrm';
import { parseMaze, pathMask, shortestPath, type MazePuzzle } from '../../server/src/reasoning/maze';
import { PuzzleSolver } from '../../server/src/reasoning/solve';
import { fromView, squareViews, toView } from '../../server/src/reasoning/views';
import { ModelRegistry } from '../../server/src/runtime/models';

describe('squareViews', () => {
  it('gives 8 distinct permutations whose inverse restores the grid', () => {
    const views = squareViews(3);
    assert.equal(views.length, 8);
    assert.equal(new Set(views.map((p) => p.join(','))).size, 8);
    const grid = Int32Array.from({ length: 9 }, (_, i) => i);
    for (const p of views) {
      assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(fromView(toView(grid, p), p), grid);
    }
    // The second view is a quarter turn clockwise: the top-left cell goes to the top-right.
    assert.equal(views[1][0], 2);
  });
});

const MAZE = ['#######', '#S    #', '# ### #', '#   # #', '### # #', '#    G#', '#######'].join('\n') + '\n';

function mazeRegistry(views: number, stop: number, haltWhenStable = false, viewChoice = 'halt', timeBudgetMs = 0): ModelRegistry {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-views-'));
  writeFileSync(path.join(dir, 'm.onnx'), 'fake');
  const sha256 = createHash('sha256').update('fake').digest('hex');
  const maze = {
    file: 'm.onnx',
    sha256,
    positions: 900,
    hiddenSize: 2,
    classes: 2,
    maxSteps: 4,
    views,
    viewStopConfidence: stop,
    haltWhenStable,
    viewChoice,
    timeBudgetMs,
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: { reasoning: { files: { maze } } } }));
  return new ModelRegistry(dir);
}

/** A fake maze HRM: wrong (no path) and unsure on the first `wrongViews` views; right and sure on the others. */
function fakeMazeStep(maze: MazePuzzle, wrongViews: number, seen: number[]): ActStep {
  const base = encodeMaze(maze);
  const views = squareViews(MAZE_VOCABULARY.side);
  const canvasPath = new Int32Array(900);
  const mask = pathMask(maze, shortestPath(maze)!);
  mask.forEach((on, i) => (canvasPath[Math.floor(i / maze.columns) * 30 + (i % maze.columns)] = on ? 1 : 0));
  return async (tokens, zH, zL) => {
    const t = Int32Array.from(tokens as BigInt64Array, Number);
    const v = views.findIndex((p) => toView(base, p).every((x, i) => x === t[i]));
    seen.push(v);
    const right = v >= wrongViews;
    const labels = right ? toView(canvasPath, views[v]) : new Int32Array(900);
    const logits = new Float32Array(900 * 2);
    labels.forEach((l, i) => (logits[i * 2 + l] = 4));
    return { zH, zL, logits, haltLogit: right ? 3 : -1 };
  };
}

describe('PuzzleSolver with views', () => {
  const doc = TextDocument.create('file:///m.maze', 'maze', 1, MAZE);
  const maze = parseMaze(MAZE) as MazePuzzle;
  const never = { isCancellationRequested: false };

  it('keeps the most confident view, stopping once one is confident enough', async () => {
    const seen: number[] = [];
    const solver = new PuzzleSolver(mazeRegistry(8, 0.9), async () => fakeMazeStep(maze, 2, seen));
    const r = await solver.solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(r.outcome, 'verified');
    assert.equal(r.views, 3, 'views 0 and 1 are unsure; view 2 is sure, so the search stops there');
    assert.deepEqual([...new Set(seen)], [0, 1, 2]);
  });

  it("follows the manifest's haltWhenStable: a sure first step is checked by a second one", async () => {
    const plain = await new PuzzleSolver(mazeRegistry(8, 0.9), async () => fakeMazeStep(maze, 0, [])).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(plain.steps, 1);
    const stable = await new PuzzleSolver(mazeRegistry(8, 0.9, true), async () => fakeMazeStep(maze, 0, [])).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(stable.outcome, 'verified');
    assert.equal(stable.steps, 2, 'the answer of step 1 is repeated at step 2, which then halts');
  });

  it('starts no view once the time budget is spent; the first view runs to its end', async () => {
    const seen: number[] = [];
    const slow: ActStep = async (tokens, zH, zL) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return fakeMazeStep(maze, 8, seen)(tokens, zH, zL);
    };
    const r = await new PuzzleSolver(mazeRegistry(8, 0.9, false, 'halt', 50), async () => slow).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(r.outcome, 'failed');
    assert.equal(r.views, 1, 'view 1 would start after 4 steps of 30 ms, past the 50 ms budget');
    assert.equal(r.steps, 4);
    const unlimited = await new PuzzleSolver(mazeRegistry(8, 0.9, false, 'halt', 0), async () => slow).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(unlimited.views, 8);
  });

  it('with one view, the first (wrong) answer is the answer', async () => {
    const solver = new PuzzleSolver(mazeRegistry(1, 0.9), async () => fakeMazeStep(maze, 2, []));
    const r = await solver.solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(r.outcome, 'failed');
    assert.equal(r.views, 1);
  });
});

// S to G: 4 steps along the top row, or 8 steps round the bottom.
const TWO_WAYS = ['#######', '#S   G#', '# ### #', '#     #', '#######'].join('\n') + '\n';

/** A fake maze HRM that answers view v with `answers[v].cells` (original coordinates) and that halt logit. */
function scriptedMazeStep(maze: MazePuzzle, answers: { cells: [number, number][]; haltLogit: number }[], seen: number[]): ActStep {
  const base = encodeMaze(maze);
  const views = squareViews(MAZE_VOCABULARY.side);
  return async (tokens, zH, zL) => {
    const t = Int32Array.from(tokens as BigInt64Array, Number);
    const v = views.findIndex((p) => toView(base, p).every((x, i) => x === t[i]));
    seen.push(v);
    const onCanvas = new Int32Array(900);
    for (const [r, c] of answers[v].cells) onCanvas[r * 30 + c] = 1;
    const labels = toView(onCanvas, views[v]);
    const logits = new Float32Array(900 * 2);
    labels.forEach((l, i) => (logits[i * 2 + l] = 4));
    return { zH, zL, logits, haltLogit: answers[v].haltLogit };
  };
}

describe('PuzzleSolver choosing views by the shape of their answers', () => {
  const doc = TextDocument.create('file:///two.maze', 'maze', 1, TWO_WAYS);
  const maze = parseMaze(TWO_WAYS) as MazePuzzle;
  const never = { isCancellationRequested: false };
  const short: [number, number][] = [
    [1, 2],
    [1, 3],
    [1, 4],
  ];
  const long: [number, number][] = [
    [2, 1],
    [3, 1],
    [3, 2],
    [3, 3],
    [3, 4],
    [3, 5],
    [2, 5],
  ];
  const broken: [number, number][] = [
    [1, 2],
    [1, 3],
  ];
  const solve = (choice: string, answers: { cells: [number, number][]; haltLogit: number }[], seen: number[] = []) =>
    new PuzzleSolver(mazeRegistry(answers.length, 0.7, false, choice), async () => scriptedMazeStep(maze, answers, seen)).solve(
      doc,
      { uri: doc.uri },
      never,
      () => {},
    );

  it('keeps the shorter of two well-formed paths, even when the halt head prefers the longer', async () => {
    const answers = [
      { cells: long, haltLogit: 0.5 },
      { cells: short, haltLogit: 0.2 },
    ]; // both below 0.7
    const byHalt = await solve('halt', answers);
    assert.equal(byHalt.outcome, 'failed', 'the halt head alone keeps the 8-step path');
    const byCost = await solve('cost', answers);
    assert.equal(byCost.outcome, 'verified');
    assert.equal(byCost.views, 2);
  });

  it('a sure but broken answer neither wins nor ends the search', async () => {
    const seen: number[] = [];
    const answers = [
      { cells: broken, haltLogit: 3 },
      { cells: short, haltLogit: -1 },
      { cells: long, haltLogit: -1 },
    ];
    const byHalt = await solve('halt', answers);
    assert.equal(byHalt.outcome, 'failed');
    assert.equal(byHalt.views, 1, 'the halt head is sure at once');
    const byCost = await solve('cost', answers, seen);
    assert.equal(byCost.outcome, 'verified');
    assert.deepEqual([...new Set(seen)], [0, 1, 2], 'no well-formed answer was sure, so every view ran');
  });

  it('stops at the first sure well-formed answer', async () => {
    const seen: number[] = [];
    const answers = [
      { cells: long, haltLogit: -1 },
      { cells: short, haltLogit: 3 },
      { cells: short, haltLogit: 3 },
    ];
    const r = await solve('cost', answers, seen);
    assert.equal(r.outcome, 'verified');
    assert.deepEqual([...new Set(seen)], [0, 1]);
  });

  it('with no well-formed answer at all, the most confident one is kept and reported as failed', async () => {
    const r = await solve('cost', [
      { cells: broken, haltLogit: -2 },
      { cells: [[3, 3]], haltLogit: 0 },
    ]);
    assert.equal(r.outcome, 'failed');
    assert.ok(r.problems.length > 0);
    assert.match(r.answerText ?? '', /o/);
  });
});
