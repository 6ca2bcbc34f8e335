import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ActStep,
  ActStepReport,
  MAZE_VOCABULARY,
  SUDOKU_VOCABULARY,
  argmaxClasses,
  decodeMazePath,
  decodeSudoku,
  encodeMaze,
  encodeSudoku,
  runActLoop,
  toInt64,
} from '../../server/src/reasoning/hrm';
import { MazePuzzle, parseMaze, pathMask, shortestPath, verifyMazePath } from '../../server/src/reasoning/maze';
import { verifySudoku } from '../../server/src/reasoning/sudoku';

const INKALA = '8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..';
const INKALA_SOLUTION = '812753649943682175675491283154237896369845721287169534521974368438526917796318452';
const digits = (line: string): number[] => Array.from(line, (char) => (char === '.' ? 0 : Number(char)));

const N = 81;
const D = 4;
const V = 9;

/**
 * A fixed fake model: each step it reveals 20 more cells of the answer (the rest argmax to class 0),
 * counts steps in z_H[0] so the test sees the state threaded through, and reads its halt logit from
 * a schedule.
 */
function fakeSudokuModel(haltLogits: number[]): { step: ActStep; calls: Float32Array[] } {
  const answer = digits(INKALA_SOLUTION);
  const calls: Float32Array[] = [];
  const step: ActStep = async (_tokens, zH, zL) => {
    calls.push(zH);
    const stepIndex = zH[0];
    const nextH = new Float32Array(zH.length).fill(stepIndex + 1);
    const logits = new Float32Array(N * V);
    const revealed = Math.min(N, (stepIndex + 1) * 20);
    for (let p = 0; p < revealed; p++) logits[p * V + answer[p] - 1] = 5;
    return { zH: nextH, zL: new Float32Array(zL.length), logits, haltLogit: haltLogits[stepIndex] ?? -10 };
  };
  return { step, calls };
}

describe('runActLoop', () => {
  const tokens = toInt64(encodeSudoku(digits(INKALA)));

  it('halts at the first step whose halt logit is above 0 and streams each step', async () => {
    const { step, calls } = fakeSudokuModel([-3, -1, 0, 0.5, 4]);
    const reports: ActStepReport[] = [];
    const result = await runActLoop({
      step,
      tokens,
      positions: N,
      hiddenSize: D,
      classes: V,
      maxSteps: 16,
      onStep: (report) => {
        reports.push(report);
      },
    });
    assert.equal(result.status, 'halted');
    assert.equal(result.steps, 4); // logit 0 is probability 0.5, not above it
    assert.deepEqual(
      reports.map((report) => report.step),
      [1, 2, 3, 4],
    );
    assert.ok(Math.abs(reports[2].haltProbability - 0.5) < 1e-9);
    assert.ok(reports.every((report) => report.ms >= 0));
    assert.ok(result.haltProbability > 0.5);
    // z_H and z_L start at zero and each step gets the previous step's state.
    assert.deepEqual(Array.from(calls[0]), new Array(N * D).fill(0));
    assert.deepEqual(
      calls.map((zH) => zH[0]),
      [0, 1, 2, 3],
    );
    // The grid refines: after 4 steps, 80 cells are right; the last one still decodes to digit 1.
    const answer = decodeSudoku(result.grid!);
    assert.equal(answer.slice(0, 80).join(''), INKALA_SOLUTION.slice(0, 80));
    assert.equal(verifySudoku(digits(INKALA), answer).length > 0, true);
  });

  it('with haltWhenStable, ignores a halt while the answer is still changing', async () => {
    // The halt head fires from step 2 on; the answer keeps changing until step 5 reveals every cell.
    const { step } = fakeSudokuModel([-3, 4, 4, 4, 4, 4, 4, 4]);
    const eager = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 16 });
    assert.equal(eager.steps, 2);
    const stable = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 16, haltWhenStable: true });
    assert.equal(stable.status, 'halted');
    assert.equal(stable.steps, 6); // step 6 is the first to repeat its predecessor's answer
    assert.deepEqual(verifySudoku(digits(INKALA), decodeSudoku(stable.grid!)), []);
  });

  it('stops at maxSteps when the model never halts', async () => {
    const { step } = fakeSudokuModel([]);
    const result = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 6 });
    assert.equal(result.status, 'max-steps');
    assert.equal(result.steps, 6);
    assert.deepEqual(verifySudoku(digits(INKALA), decodeSudoku(result.grid!)), []);
  });

  it('stops a stalled answer: unchanged for stallSteps steps while the halt head does not rise', async () => {
    // The fake's answer is complete at step 5 and never changes after; its halt logit stays at -10.
    const { step } = fakeSudokuModel([]);
    const result = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 16, stallSteps: 3 });
    assert.equal(result.status, 'stalled');
    assert.equal(result.steps, 8);
    assert.deepEqual(verifySudoku(digits(INKALA), decodeSudoku(result.grid!)), []);
  });

  it('does not stop an unchanged answer while the halt head is still rising', async () => {
    const { step } = fakeSudokuModel([-10, -10, -10, -10, -10, -8, -6, -4, -2, 1]);
    const result = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 16, stallSteps: 3, haltWhenStable: true });
    assert.equal(result.status, 'halted');
    assert.equal(result.steps, 10);
  });

  it('runs the first step, then stops at the deadline', async () => {
    const { step, calls } = fakeSudokuModel([]);
    const result = await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 16, deadline: performance.now() - 1 });
    assert.equal(result.status, 'time-limit');
    assert.equal(result.steps, 1);
    assert.equal(calls.length, 1);
    assert.notEqual(result.grid, null);
  });

  it('stops between steps when cancelled', async () => {
    const { step, calls } = fakeSudokuModel([]);
    const cancellation = { isCancellationRequested: false };
    const result = await runActLoop({
      step,
      tokens,
      positions: N,
      hiddenSize: D,
      classes: V,
      maxSteps: 16,
      cancellation,
      onStep: (report) => {
        if (report.step === 2) cancellation.isCancellationRequested = true;
      },
    });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.steps, 2);
    assert.equal(calls.length, 2);
    assert.notEqual(result.grid, null);

    const before = await runActLoop({
      step,
      tokens,
      positions: N,
      hiddenSize: D,
      classes: V,
      maxSteps: 16,
      cancellation: { isCancellationRequested: true },
    });
    assert.deepEqual([before.status, before.steps, before.grid], ['cancelled', 0, null]);
  });

  it('sizes the state for extra puzzle-embedding positions', async () => {
    const { step, calls } = fakeSudokuModel([1]);
    await runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: V, maxSteps: 4, statePositions: N + 2 });
    assert.equal(calls[0].length, (N + 2) * D);
  });

  it('fails loudly when the model output does not match the declared shape', async () => {
    const { step } = fakeSudokuModel([1]);
    await assert.rejects(runActLoop({ step, tokens, positions: N, hiddenSize: D, classes: 10, maxSteps: 4 }), /logits have 729 values, expected 810/);
  });
});

describe('encodings', () => {
  it('encodes Sudoku givens as 0 blank and the digit itself', () => {
    const tokens = encodeSudoku(digits(INKALA));
    assert.equal(tokens.length, 81);
    assert.deepEqual(Array.from(tokens.slice(0, 3)), [8, 0, 0]);
    assert.equal(SUDOKU_VOCABULARY.classes, 9);
  });

  it('decodes class k as digit k+1', () => {
    const classes = digits(INKALA_SOLUTION).map((digit) => digit - 1);
    assert.equal(decodeSudoku(classes).join(''), INKALA_SOLUTION);
  });

  it('takes the argmax class per position', () => {
    const logits = new Float32Array([0, 2, 1, /* */ 3, -1, 3.5]);
    assert.deepEqual(Array.from(argmaxClasses(logits, 2, 3)), [1, 2]);
  });

  it('pads a small maze with walls to the 30x30 grid and encodes a drawn path as open', () => {
    const maze = parseMaze('So\n#G') as MazePuzzle;
    const tokens = encodeMaze(maze);
    const side = MAZE_VOCABULARY.side;
    assert.equal(tokens.length, side * side);
    const { wall, open, start, goal } = MAZE_VOCABULARY.input;
    assert.deepEqual([tokens[0], tokens[1], tokens[side], tokens[side + 1]], [start, open, wall, goal]);
    assert.equal(tokens[2], MAZE_VOCABULARY.input.padding);
    assert.equal(tokens[2 * side], MAZE_VOCABULARY.input.padding);
  });

  it('decodes the path class back onto the maze', () => {
    const maze = parseMaze('S..#\n.#..\n...G') as MazePuzzle;
    const path = shortestPath(maze)!;
    const side = MAZE_VOCABULARY.side;
    const classes = new Int32Array(side * side);
    for (const cell of path) {
      const row = Math.floor(cell / maze.columns);
      classes[row * side + (cell % maze.columns)] = MAZE_VOCABULARY.output.path;
    }
    const decoded = decodeMazePath(maze, classes);
    assert.deepEqual(decoded, pathMask(maze, path));
    assert.deepEqual(verifyMazePath(maze, decoded), []);
  });

  it('converts tokens to int64 for ONNX', () => {
    assert.deepEqual(Array.from(toInt64(new Int32Array([0, 9]))), [0n, 9n]);
  });
});
