// The words the status bar uses for a brain that cannot run (client/src/brainText.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brainLine, brainProblem, completionProblemLabel } from '../../client/src/brainText';

describe('brain status wording', () => {
  it('calls a memory brain with no model in the manifest "not trained yet", not "not installed"', () => {
    const s = { state: 'not-installed' as const, detail: 'model not installed: no memory model in models/manifest.json' };
    assert.equal(brainProblem('memory', s), 'not trained yet');
  });

  it('keeps the reason for a missing or broken file, and says nothing for a ready brain', () => {
    const missing = { state: 'not-installed' as const, detail: 'model not installed: models/scorer.onnx is missing' };
    assert.equal(brainProblem('memory', missing), missing.detail);
    assert.equal(brainProblem('completion', { state: 'corrupt', detail: 'models/x.onnx: sha256 mismatch' }), 'models/x.onnx: sha256 mismatch');
    assert.equal(brainProblem('reasoning', { state: 'ready', detail: '2 file(s)' }), undefined);
  });

  it('says in the tooltip which part of a ready brain is off, and plain "ready" otherwise', () => {
    const convOff = {
      state: 'ready' as const,
      detail: 'mazeConv off: models/hrm-maze-conv.onnx is corrupt: sha256 795b does not match; sudoku, maze works',
    };
    assert.equal(brainLine('reasoning', convOff), 'ready (mazeConv off: models/hrm-maze-conv.onnx is corrupt: sha256 795b does not match)');
    assert.equal(brainLine('reasoning', { state: 'ready', detail: '3 file(s) in models' }), 'ready');
    assert.equal(brainLine('completion', { state: 'corrupt', detail: 'models/x.onnx: sha256 mismatch' }), 'models/x.onnx: sha256 mismatch');
  });

  it('labels a completion brain that cannot run in the status bar', () => {
    assert.equal(completionProblemLabel({ state: 'ready', detail: '' }), undefined);
    assert.equal(completionProblemLabel({ state: 'not-installed', detail: '' }), 'no completion model');
    assert.equal(completionProblemLabel({ state: 'corrupt', detail: '' }), 'completion model damaged');
    assert.equal(completionProblemLabel({ state: 'error', detail: '' }), 'completion failed');
  });
});
