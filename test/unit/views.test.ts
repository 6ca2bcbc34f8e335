// Grid views for the maze HRM, and the solver's choice among them by the model's own halt confidence.
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

function mazeRegistry(views: number, stop: number, haltWhenStable = false): ModelRegistry {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-views-'));
  writeFileSync(path.join(dir, 'm.onnx'), 'fake');
  const sha256 = createHash('sha256').update('fake').digest('hex');
  const maze = { file: 'm.onnx', sha256, positions: 900, hiddenSize: 2, classes: 2, maxSteps: 4, views, viewStopConfidence: stop, haltWhenStable };
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

  it('follows the manifest\'s haltWhenStable: a sure first step is checked by a second one', async () => {
    const plain = await new PuzzleSolver(mazeRegistry(8, 0.9), async () => fakeMazeStep(maze, 0, [])).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(plain.steps, 1);
    const stable = await new PuzzleSolver(mazeRegistry(8, 0.9, true), async () => fakeMazeStep(maze, 0, [])).solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(stable.outcome, 'verified');
    assert.equal(stable.steps, 2, 'the answer of step 1 is repeated at step 2, which then halts');
  });

  it('with one view, the first (wrong) answer is the answer', async () => {
    const solver = new PuzzleSolver(mazeRegistry(1, 0.9), async () => fakeMazeStep(maze, 2, []));
    const r = await solver.solve(doc, { uri: doc.uri }, never, () => {});
    assert.equal(r.outcome, 'failed');
    assert.equal(r.views, 1);
  });
});
