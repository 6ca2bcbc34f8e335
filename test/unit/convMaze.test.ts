// The conv maze network (server/src/reasoning/convMaze.ts) and the maze cascade in solve.ts: the greedy walk on
// hand-made direction fields, the halting rule on stub cycles, which network goes first and the fallback, a missing
// or corrupt conv file (HRM alone, with a note), and the real shipped models/hrm-maze-conv.onnx on a small maze.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { PuzzleStep } from '../../server/src/protocol';
import { decodeConvWalk, hrmFirst, onnxConvMaze, runConvLoop, type ConvMaze, type ConvMazeSpec } from '../../server/src/reasoning/convMaze';
import type { ActStep } from '../../server/src/reasoning/hrm';
import { parseMaze, shortestPath, type MazePuzzle } from '../../server/src/reasoning/maze';
import { onnxActStep } from '../../server/src/reasoning/models';
import { PuzzleSolver } from '../../server/src/reasoning/solve';
import { ModelRegistry } from '../../server/src/runtime/models';

const CANVAS = 32;
const SPEC: ConvMazeSpec = { canvas: CANVAS, channels: 2, maxCycles: 10, haltRepeats: 2, timeBudgetMs: 1000, reserveMs: 0 };
const SMALL = 'S..#...\n.#.#.#.\n.#...#.\n.####..\n......G\n';
/** 30x30, all-wall outer ring, open inside: what the HRM was trained on (its shape, at least). */
const FRAMED = Array.from({ length: 30 }, (_, r) =>
  Array.from({ length: 30 }, (_, c) => (r === 0 || c === 0 || r === 29 || c === 29 ? '#' : r === 1 && c === 1 ? 'S' : r === 28 && c === 28 ? 'G' : ' ')).join(
    '',
  ),
).join('\n');

const maze = (text: string) => parseMaze(text) as MazePuzzle;

/** Direction logits [4, canvas, canvas] that point along `cells` (row-major maze indexes), 0 elsewhere. */
function fieldAlong(m: MazePuzzle, cells: number[], logit = 5): Float32Array {
  const area = CANVAS * CANVAS;
  const field = new Float32Array(4 * area);
  for (let i = 0; i + 1 < cells.length; i++) {
    const [r, c] = [Math.floor(cells[i] / m.columns), cells[i] % m.columns];
    const [nr, nc] = [Math.floor(cells[i + 1] / m.columns), cells[i + 1] % m.columns];
    const k = nr < r ? 0 : nr > r ? 1 : nc < c ? 2 : 3;
    field[k * area + (r + 1) * CANVAS + (c + 1)] = logit;
  }
  return field;
}

/** A stub conv model whose field follows `cells` from cycle `from` on (all zeros before), counting its calls. */
function stubConv(field: (cycle: number) => Float32Array, spec = SPEC): ConvMaze & { calls: number } {
  const stub = {
    spec,
    calls: 0,
    cycle: async (_x: Float32Array, zl: Float32Array, zh: Float32Array) => {
      stub.calls++;
      return { zl, zh, logits: field(stub.calls) };
    },
  };
  return stub;
}

function fakeManifestDir(files: Record<string, string>, mazeConv?: { file: string; sha256: string }, hrm: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-conv-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const reasoning: Record<string, unknown> = {
    maze: { file: 'hrm.onnx', sha256: sha('hrm'), positions: 900, hiddenSize: 2, classes: 2, maxSteps: 3, timeBudgetMs: 1000, ...hrm },
  };
  if (mazeConv) reasoning.mazeConv = { ...mazeConv, canvas: CANVAS, channels: 2, maxCycles: 10, haltRepeats: 2, timeBudgetMs: 1000 };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: { reasoning: { files: reasoning } } }));
  return dir;
}

/** Solves the maze `text` with the cascade of `hrm` (its entry in the manifest of `dir`) and `conv`. */
function solveWith(text: string, hrm: ActStep, conv: ConvMaze, onStep: (s: PuzzleStep) => void, dir: string) {
  return new PuzzleSolver(
    new ModelRegistry(dir),
    async () => hrm,
    {},
    async () => conv,
  ).solve(doc(text), { uri: 'file:///m.maze' }, never, onStep);
}

/** A fake maze HRM whose path class marks `cells` of the maze (placed top-left on 30x30); halts at step 1. */
function fakeHrm(m: MazePuzzle, cells: number[] | null, counter: { calls: number }): ActStep {
  const logits = new Float32Array(900 * 2);
  for (let i = 0; i < 900; i++) logits[i * 2] = 1;
  for (const cell of cells ?? []) {
    const p = Math.floor(cell / m.columns) * 30 + (cell % m.columns);
    logits[p * 2 + 1] = 5;
  }
  return async (_t, zH, zL) => {
    counter.calls++;
    return { zH, zL, logits, haltLogit: 3 };
  };
}

const never = { isCancellationRequested: false };
const doc = (text: string) => TextDocument.create('file:///m.maze', 'maze', 1, text);

describe('decodeConvWalk', () => {
  it('walks the highest legal move from S to G', () => {
    const m = maze(SMALL);
    const best = shortestPath(m)!;
    const walk = decodeConvWalk(m, fieldAlong(m, best), CANVAS);
    assert.equal(walk.reached, true);
    assert.equal(walk.steps, m.shortestLength);
    assert.deepEqual(
      walk.path.flatMap((on, i) => (on ? [i] : [])),
      [...best].sort((a, b) => a - b),
    );
  });

  it('never steps into a wall or off the maze, however high its logit', () => {
    const m = maze('S#\n.G');
    const area = CANVAS * CANVAS;
    const field = new Float32Array(4 * area);
    field[3 * area + 1 * CANVAS + 1] = 9; // right from S: a wall
    field[0 * area + 1 * CANVAS + 1] = 8; // up from S: off the maze
    field[1 * area + 1 * CANVAS + 1] = 1; // down: the only legal move
    field[3 * area + 2 * CANVAS + 1] = 1; // then right to G
    const walk = decodeConvWalk(m, field, CANVAS);
    assert.deepEqual([walk.reached, walk.steps], [true, 2]);
  });

  it('fails on a revisit (a loop in the field) and on a dead end', () => {
    const m = maze('S..\n...\n..G');
    const area = CANVAS * CANVAS;
    const loop = new Float32Array(4 * area);
    loop[3 * area + 1 * CANVAS + 1] = 5; // S right
    loop[1 * area + 1 * CANVAS + 2] = 5; // down
    loop[2 * area + 2 * CANVAS + 2] = 5; // left
    loop[0 * area + 2 * CANVAS + 1] = 5; // up: back to S
    const walk = decodeConvWalk(m, loop, CANVAS);
    assert.equal(walk.reached, false);
    assert.equal(walk.steps, 4);
    const dead = { rows: 1, columns: 3, cells: ['start', 'wall', 'goal'] as const, start: 0, goal: 2 };
    assert.deepEqual(decodeConvWalk({ ...dead, cells: [...dead.cells] }, new Float32Array(4 * area), CANVAS), {
      reached: false,
      steps: 1,
      path: [true, false, false],
    });
  });

  it('breaks ties in the order up, down, left, right', () => {
    const m = maze('...\n.S.\n.G.');
    const walk = decodeConvWalk(m, new Float32Array(4 * CANVAS * CANVAS), CANVAS);
    assert.equal(walk.path[1], true, 'all-zero field: up first');
  });
});

describe('runConvLoop', () => {
  it('halts once the walk reaches G with the same length on 2 cycles running', async () => {
    const m = maze(SMALL);
    const good = fieldAlong(m, shortestPath(m)!);
    const stub = stubConv((cycle) => (cycle >= 3 ? good : new Float32Array(4 * CANVAS * CANVAS)));
    const seen: number[] = [];
    const r = await runConvLoop({ model: stub, maze: m, onCycle: (c) => void seen.push(c.cycle) });
    assert.equal(r.status, 'halted');
    assert.equal(r.cycles, 4);
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.equal(r.walk!.steps, m.shortestLength);
  });

  it('stops at the cycle cap and at the deadline (the first cycle always runs)', async () => {
    const m = maze(SMALL);
    const capped = await runConvLoop({ model: stubConv(() => new Float32Array(4 * CANVAS * CANVAS)), maze: m });
    assert.deepEqual([capped.status, capped.cycles, capped.walk!.reached], ['max-cycles', 10, false]);
    const late = await runConvLoop({ model: stubConv(() => new Float32Array(4 * CANVAS * CANVAS)), maze: m, deadline: performance.now() - 1 });
    assert.deepEqual([late.status, late.cycles], ['time-limit', 1]);
  });
});

describe('the maze cascade', () => {
  it('sends the HRM first only on 30x30 mazes with an all-wall outer ring', () => {
    assert.equal(hrmFirst(maze(FRAMED), 30), true);
    assert.equal(hrmFirst(maze(SMALL), 30), false);
    assert.equal(hrmFirst(maze(FRAMED.replace('#', ' ')), 30), false, 'a hole in the ring');
  });

  it('runs the conv model first on other mazes; the HRM only when its answer fails', async () => {
    const m = maze(SMALL);
    const dir = fakeManifestDir({ 'hrm.onnx': 'hrm' });
    const hrm = { calls: 0 };
    const good = stubConv(() => fieldAlong(m, shortestPath(m)!));
    const steps: PuzzleStep[] = [];
    const r = await solveWith(SMALL, fakeHrm(m, shortestPath(m), hrm), good, (s) => steps.push(s), dir);
    assert.deepEqual([r.outcome, r.network, r.steps, hrm.calls], ['verified', 'conv', 2, 0]);
    assert.deepEqual(r.tried, [{ network: 'conv', steps: 2, ms: r.tried![0].ms, outcome: 'verified' }]);
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2],
    );

    const lost = stubConv(() => new Float32Array(4 * CANVAS * CANVAS));
    const steps2: PuzzleStep[] = [];
    const f = await solveWith(SMALL, fakeHrm(m, shortestPath(m), hrm), lost, (s) => steps2.push(s), dir);
    assert.deepEqual([f.outcome, f.network, hrm.calls], ['verified', 'hrm', 1]);
    assert.deepEqual(
      f.tried!.map((t) => [t.network, t.outcome]),
      [
        ['conv', 'failed'],
        ['hrm', 'verified'],
      ],
    );
    assert.equal(f.steps, 10 + 1, 'steps count both networks');
    assert.deepEqual(
      steps2.map((s) => s.step),
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
  });

  it('runs the HRM first on 30x30 walled mazes; the conv model only when its answer fails', async () => {
    const m = maze(FRAMED);
    const dir = fakeManifestDir({ 'hrm.onnx': 'hrm' });
    const hrm = { calls: 0 };
    const conv = stubConv(() => fieldAlong(m, shortestPath(m)!));
    const r = await solveWith(FRAMED, fakeHrm(m, shortestPath(m), hrm), conv, () => {}, dir);
    assert.deepEqual([r.outcome, r.network, conv.calls], ['verified', 'hrm', 0]);

    const w = await solveWith(FRAMED, fakeHrm(m, null, hrm), conv, () => {}, dir);
    assert.deepEqual([w.outcome, w.network, conv.calls], ['verified', 'conv', 2]);
    assert.deepEqual(
      w.tried!.map((t) => t.network),
      ['hrm', 'conv'],
    );
  });

  it('stops a first-running HRM reserveMs before the budget ends, so the conv model still runs', async () => {
    const m = maze(FRAMED);
    const dir = fakeManifestDir({ 'hrm.onnx': 'hrm' }, undefined, { maxSteps: 100 });
    const slow: ActStep = async (_t, zH, zL) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { zH, zL, logits: new Float32Array(900 * 2), haltLogit: -3 };
    };
    const conv = stubConv(() => fieldAlong(m, shortestPath(m)!), { ...SPEC, reserveMs: 900 });
    const r = await solveWith(FRAMED, slow, conv, () => {}, dir);
    assert.deepEqual([r.outcome, r.network], ['verified', 'conv']);
    assert.ok(r.tried![0].ms < 400, `the HRM ran ${r.tried![0].ms} ms of a 1000 ms budget with 900 reserved`);
  });

  it('shows the first network answer, failed, when neither passes (the exact solver is then offered)', async () => {
    const m = maze(SMALL);
    const r = await solveWith(
      SMALL,
      fakeHrm(m, null, { calls: 0 }),
      stubConv(() => new Float32Array(4 * CANVAS * CANVAS)),
      () => {},
      fakeManifestDir({ 'hrm.onnx': 'hrm' }),
    );
    assert.deepEqual([r.outcome, r.network, r.tried!.length], ['failed', 'conv', 2]);
  });

  it('solves with the HRM alone, saying why, when the conv file is missing or corrupt', async () => {
    const m = maze(SMALL);
    const hrm = { calls: 0 };
    const sha = createHash('sha256').update('conv').digest('hex');
    const missing = new ModelRegistry(fakeManifestDir({ 'hrm.onnx': 'hrm' }, { file: 'conv.onnx', sha256: sha }));
    const r = await new PuzzleSolver(missing, async () => fakeHrm(m, shortestPath(m), hrm), {}, onnxConvMaze).solve(
      doc(SMALL),
      { uri: 'file:///m.maze' },
      never,
      () => {},
    );
    assert.deepEqual([r.outcome, r.network, hrm.calls], ['verified', 'hrm', 1]);
    assert.match(r.note!, /conv maze model off: .*models\/conv\.onnx is missing/);
    assert.equal((await missing.status('reasoning', 'maze')).state, 'ready');
    assert.deepEqual(await missing.status('reasoning'), {
      state: 'ready',
      detail: 'mazeConv off: model not installed: models/conv.onnx is missing; maze works',
    });

    const corrupt = new ModelRegistry(fakeManifestDir({ 'hrm.onnx': 'hrm', 'conv.onnx': 'not conv' }, { file: 'conv.onnx', sha256: sha }));
    const c = await new PuzzleSolver(corrupt, async () => fakeHrm(m, shortestPath(m), hrm), {}, onnxConvMaze).solve(
      doc(SMALL),
      { uri: 'file:///m.maze' },
      never,
      () => {},
    );
    assert.deepEqual([c.outcome, c.network], ['verified', 'hrm']);
    assert.match(c.note!, /conv maze model off: .*models\/conv\.onnx is corrupt/);
    assert.equal((await corrupt.status('reasoning', 'maze')).state, 'ready');
    const status = await corrupt.status('reasoning');
    assert.equal(status.state, 'ready', 'the HRM still solves mazes: reasoning stays ready');
    assert.match(status.detail, /^mazeConv off: models\/conv\.onnx is corrupt: .*; maze works$/);
  });

  it('solves a small maze with the shipped conv ONNX, optimal path, its own answer', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-conv-real-'));
    copyFileSync(path.join(root, 'models', 'manifest.json'), path.join(dir, 'manifest.json'));
    copyFileSync(path.join(root, 'models', 'hrm-maze-conv.onnx'), path.join(dir, 'hrm-maze-conv.onnx'));
    // The HRM's file is left out: the conv model answers alone, and must find the optimal path by itself.
    const registry = new ModelRegistry(dir);
    const model = await onnxConvMaze(registry);
    const m = maze(SMALL);
    const r = await runConvLoop({ model, maze: m });
    assert.equal(r.status, 'halted');
    assert.equal(r.walk!.reached, true);
    assert.equal(r.walk!.steps, m.shortestLength);
    const solved = await new PuzzleSolver(registry, onnxActStep, {}, onnxConvMaze).solve(doc(SMALL), { uri: 'file:///m.maze' }, never, () => {});
    assert.deepEqual([solved.outcome, solved.network], ['verified', 'conv']);
  });
});
