// The shipped int8 encode graph quantizes a call's activations with one scale taken from all the call's
// tokens, so a chunk's K/V depend on which chunks share its call. The context memory must therefore hold,
// after any edit history, exactly (bit for bit) what encoding the same context cold gives: else near-ties
// in an answer tip, and the same text gets another suggestion after an edit than when asked cold.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DiffusionModel, DocumentMemory, type KV } from '../../server/src/completion/diffusion';
import { ModelRegistry } from '../../server/src/runtime/models';
import { openDiffusionModel } from '../../server/src/completion/engine';

const root = path.resolve(__dirname, '..', '..');
let model: DiffusionModel;

before(async () => {
  const registry = new ModelRegistry(path.join(root, 'models'));
  model = (await openDiffusionModel(registry)).model;
});

const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 10 + ((i * 7919 + seed * 104729) % 12000));
const never = () => false;

function assertSame(a: KV, b: KV, label: string): void {
  assert.equal(a.tokens, b.tokens, label);
  a.layers.forEach((layer, l) => {
    const other = b.layers[l];
    for (let i = 0; i < layer.length; i++)
      if (layer[i] !== other[i]) assert.fail(`${label}: layer ${l} value ${i} is ${layer[i]} after the edit, ${other[i]} cold`);
  });
}

describe('the context memory after edits', () => {
  it('equals a cold encode bit for bit, whatever chunks the edits changed', async () => {
    const prefix = ids(6 * 64, 1);
    const suffix = ids(2 * 64, 2);
    // Enter at the end of the prefix: its last chunk and the suffix's change (chunks 5-7 of 0-7).
    const afterEnter = [...prefix.slice(0, -1), 4242];
    // An edit in the first chunk, then one that grows the prefix by a chunk and shrinks the suffix.
    const cases: [number[], number[]][] = [
      [afterEnter, suffix],
      [[4242, ...prefix.slice(1)], suffix],
      [ids(7 * 64, 1), suffix.slice(0, 64)],
      [prefix.slice(0, 3 * 64), suffix],
    ];
    const memory = new DocumentMemory();
    await model.encodeContext(memory, prefix, suffix, never);
    for (const [p, s] of cases) {
      const edited = await model.encodeContext(memory, p, s, never);
      const cold = await model.encodeContext(new DocumentMemory(), p, s, never);
      assertSame(edited!, cold!, `${p.length} + ${s.length} tokens, ${memory.lastReused} chunks reused`);
    }
  });
});
