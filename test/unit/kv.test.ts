// gatherKV (server/src/memory/kv.ts) against a per-number reference: rows of several parts, in runs and alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gatherKV, type KV } from '../../server/src/memory/kv';

const shape = { nHead: 3, headDim: 4 };

/** A KV of `tokens` tokens whose every number says where it is: array, head, token, dimension. */
function labelled(part: number, tokens: number): KV {
  const layers = [0, 1].map((a) => Float32Array.from({ length: shape.nHead * tokens * shape.headDim }, (_, i) => part * 1e5 + a * 1e4 + i));
  return { layers, tokens };
}

describe('gatherKV', () => {
  it('copies the chosen rows of every head and array, in order, runs or single rows alike', () => {
    const parts = [
      { kv: labelled(1, 7), rows: [0, 1, 2, 4, 6] },
      { kv: labelled(2, 5), rows: [] },
      { kv: labelled(3, 5), rows: [1, 2, 3, 4] },
    ];
    const out = gatherKV(parts, shape, 2);
    assert.equal(out.tokens, 9);
    const { nHead, headDim } = shape;
    for (let a = 0; a < 2; a++) {
      let t = 0;
      for (const { kv, rows } of parts) {
        for (const r of rows) {
          for (let h = 0; h < nHead; h++) {
            for (let d = 0; d < headDim; d++) {
              const want = kv.layers[a][(h * kv.tokens + r) * headDim + d];
              assert.equal(out.layers[a][(h * out.tokens + t) * headDim + d], want, `array ${a} token ${t} head ${h} dim ${d}`);
            }
          }
          t++;
        }
      }
    }
  });
});
