// The server's Solve Puzzle flow on fake models: streaming, verification, cancellation, and the
// model-unavailable path, without onnxruntime.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { PuzzleStep } from '../../server/src/protocol';
import type { ActStep } from '../../server/src/reasoning/hrm';
import { PuzzleInputError, PuzzleSolver } from '../../server/src/reasoning/solve';
import { ModelRegistry } from '../../server/src/runtime/models';

const PUZZLE = '53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n...419..5\n....8..79\n';
const SOLUTION = '534678912672195348198342567859761423426853791713924856961537284287419635345286179';

function registryWithSudokuModel(): ModelRegistry {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-solve-'));
  writeFileSync(path.join(dir, 'fake.onnx'), 'fake');
  const sha256 = createHash('sha256').update('fake').digest('hex');
  const sudoku = { file: 'fake.onnx', sha256, positions: 81, hiddenSize: 4, classes: 9, maxSteps: 8 };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: { reasoning: { files: { sudoku } } } }));
  return new ModelRegistry(dir);
}

/** A fake HRM: logits favour `answer` (81 digits); halts at `haltAt`. */
function fakeStep(answer: string, haltAt: number): ActStep {
  let calls = 0;
  return async (_tokens, zH, zL) => {
    calls++;
    const logits = new Float32Array(81 * 9);
    for (let i = 0; i < 81; i++) logits[i * 9 + Number(answer[i]) - 1] = 5;
    return { zH, zL, logits, haltLogit: calls >= haltAt ? 3 : -3 };
  };
}

const doc = (text: string) => TextDocument.create('file:///p.sudoku', 'sudoku', 7, text);
const never = { isCancellationRequested: false };

describe('PuzzleSolver', () => {
  it('streams every step and verifies a correct network answer', async () => {
    const solver = new PuzzleSolver(registryWithSudokuModel(), async () => fakeStep(SOLUTION, 3));
    const steps: PuzzleStep[] = [];
    const r = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku', runId: 'r1' }, never, (s) => steps.push(s));
    assert.equal(r.outcome, 'verified');
    assert.equal(r.solver, 'network');
    assert.equal(r.steps, 3);
    assert.equal(r.halted, true);
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2, 3],
    );
    assert.ok(steps.every((s) => s.runId === 'r1'));
    assert.equal(r.answerRows!.join(''), SOLUTION);
    assert.equal(r.answerText!.replace(/\n/g, ''), SOLUTION);
    assert.equal(r.version, 7);
  });

  it('reports a wrong network answer as failed, with the conflicts', async () => {
    // Cells 2 and 3 (both blanks) swapped: every row still has 1-9, but two columns clash.
    const wrong = SOLUTION.slice(0, 2) + SOLUTION[3] + SOLUTION[2] + SOLUTION.slice(4);
    const solver = new PuzzleSolver(registryWithSudokuModel(), async () => fakeStep(wrong, 1));
    const r = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku' }, never, () => {});
    assert.equal(r.outcome, 'failed');
    assert.ok(
      r.problems.some((p) => /column/.test(p.message)),
      JSON.stringify(r.problems),
    );
  });

  it('stops at the step limit when the model never halts', async () => {
    const solver = new PuzzleSolver(registryWithSudokuModel(), async () => fakeStep(SOLUTION, 99));
    const r = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku' }, never, () => {});
    assert.equal(r.steps, 8);
    assert.equal(r.halted, false);
  });

  it('stops when cancelled between steps', async () => {
    const token = { isCancellationRequested: false };
    const solver = new PuzzleSolver(registryWithSudokuModel(), async () => fakeStep(SOLUTION, 99));
    const r = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku' }, token, (s) => {
      if (s.step === 2) token.isCancellationRequested = true;
    });
    assert.equal(r.outcome, 'cancelled');
    assert.equal(r.steps, 2);
  });

  it('says why the network is unavailable and still solves exactly on request', async () => {
    const solver = new PuzzleSolver(new ModelRegistry(mkdtempSync(path.join(tmpdir(), 'nanomind-none-'))), async () => assert.fail('no step without a model'));
    const r = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku' }, never, () => {});
    assert.equal(r.outcome, 'unavailable');
    assert.match(r.unavailable!, /models\/manifest\.json is missing/);
    const exact = await solver.solve(doc(PUZZLE), { uri: 'file:///p.sudoku', exact: true }, never, () => {});
    assert.equal(exact.solver, 'exact');
    assert.equal(exact.outcome, 'verified');
  });

  it('solves only the selection and maps errors to document positions', async () => {
    const text = 'notes about the puzzle\n' + PUZZLE.replace('53..7', '53.x7') + 'more notes\n';
    const solver = new PuzzleSolver(registryWithSudokuModel(), async () => fakeStep(SOLUTION, 1));
    const range = { start: { line: 1, character: 0 }, end: { line: 10, character: 0 } };
    await assert.rejects(
      solver.solve(doc(text), { uri: 'file:///p.sudoku', range }, never, () => {}),
      (e: unknown) => e instanceof PuzzleInputError && e.error.line === 2 && e.error.column === 4,
    );
  });
});
