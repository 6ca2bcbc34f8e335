// The hand-written one-node ONNX graph that normalises the denoiser's logits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onnxRuntime } from '../../server/src/runtime/onnxruntime';
import { openSoftmax } from '../../server/src/runtime/softmaxGraph';

const ort = onnxRuntime();

/** Softmax of one row in float64, the reference. */
function reference(row: Float32Array): number[] {
  const max = Math.max(...row);
  const e = Array.from(row, (l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

describe('softmax graph', () => {
  it('normalises each row over the last axis, as a float64 softmax does', async () => {
    const session = await openSoftmax();
    for (const [rows, vocab] of [
      [1, 7],
      [3, 12288],
      [16, 50],
    ]) {
      const logits = Float32Array.from({ length: rows * vocab }, (_, i) => Math.sin(i * 12.9898) * 20);
      logits[vocab - 1] = -1e9; // a control token the graph masked out
      const probs = (await session.run({ logits: new ort.Tensor('float32', logits, [rows, vocab]) })).probs.data as Float32Array;
      assert.equal(probs.length, rows * vocab);
      for (let r = 0; r < rows; r++) {
        const want = reference(logits.subarray(r * vocab, (r + 1) * vocab));
        const got = probs.subarray(r * vocab, (r + 1) * vocab);
        let sum = 0;
        for (let j = 0; j < vocab; j++) {
          sum += got[j];
          assert.ok(Math.abs(got[j] - want[j]) <= 1e-6 * Math.max(want[j], 1e-3), `row ${r} id ${j}: ${got[j]} vs ${want[j]}`);
        }
        assert.ok(Math.abs(sum - 1) < 1e-4, `row ${r} sums to ${sum}`);
      }
      assert.equal(probs[vocab - 1], 0);
    }
  });
});
