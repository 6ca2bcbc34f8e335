// The optimized-graph cache (server/src/runtime/optimizedModels.ts): the first session saves the graph
// onnxruntime optimized, a later one loads it, and both compute the same values bit for bit with the shipped
// int8 models; a cached file that does not load is replaced, not trusted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DocumentMemory, type KV } from '../../server/src/completion/diffusion';
import { openDiffusionModel } from '../../server/src/completion/engine';
import { ModelRegistry, sessionFromBytes } from '../../server/src/runtime/models';
import { OptimizedModelCache } from '../../server/src/runtime/optimizedModels';

const models = path.resolve(__dirname, '..', '..', 'models');
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 10 + ((i * 7919 + seed * 104729) % 12000));

/** The K/V of a context and the probabilities of a 16-slot canvas after it. */
async function outputs(registry: ModelRegistry): Promise<{ kv: KV; probs: Float32Array }> {
  const { model } = await openDiffusionModel(registry);
  const kv = (await model.encodeContext(new DocumentMemory(), ids(300, 1), ids(70, 2), () => false))!;
  const probs = await model.denoise(kv, new Int32Array(16).fill(2), 300, [...Array(16).keys()]);
  return { kv, probs };
}

function assertSameBits(a: Float32Array, b: Float32Array, label: string): void {
  assert.equal(a.length, b.length, label);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${label}: value ${i} is ${a[i]} from the cached graph, ${b[i]} from the shipped model`);
}

describe('the optimized-graph cache', () => {
  it('saves each graph once, and the cached graphs give the shipped models’ values bit for bit', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nanomind-opt-')), 'optimized-models');
    const logged: string[] = [];
    const first = new OptimizedModelCache(dir, (m) => logged.push(m));
    const filling = await outputs(new ModelRegistry(models, (sha, bytes) => first.session(sha, bytes)));
    assert.equal(first.saved, 2, 'encode and denoise saved');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.partial')),
      [],
      'no partial file left',
    );
    const later = new OptimizedModelCache(dir, (m) => logged.push(m));
    const cached = await outputs(new ModelRegistry(models, (sha, bytes) => later.session(sha, bytes)));
    assert.equal(later.saved, 0, 'a later start reads the cache');
    const shipped = await outputs(new ModelRegistry(models, sessionFromBytes));
    for (const [label, got] of [
      ['while filling', filling],
      ['from the cache', cached],
    ] as const) {
      got.kv.layers.forEach((layer, l) => assertSameBits(layer, shipped.kv.layers[l], `${label}: K/V layer ${l}`));
      assertSameBits(got.probs, shipped.probs, `${label}: probabilities`);
    }
    assert.deepEqual(logged, []);
  });

  it('loads a cached graph without reading the shipped model, whose sha256 `verify` checks after', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nanomind-opt-')), 'optimized-models');
    await new ModelRegistry(models, (sha, bytes) => new OptimizedModelCache(dir, () => {}).session(sha, bytes)).session('completion', 'denoise');
    const corrupt = mkdtempSync(path.join(tmpdir(), 'nanomind-corrupt-'));
    const denoise = JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8')).brains.completion.files.denoise.file as string;
    for (const file of readdirSync(models)) if (file !== denoise) copyFileSync(path.join(models, file), path.join(corrupt, file));
    const bytes = readFileSync(path.join(models, denoise));
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(path.join(corrupt, denoise), bytes);
    const cache = new OptimizedModelCache(dir, () => {});
    const registry = new ModelRegistry(corrupt, (sha, read) => cache.session(sha, read));
    await registry.session('completion', 'denoise');
    assert.equal(cache.saved, 0, 'the session came from the cached graph');
    assert.equal((await registry.verify('completion')).state, 'corrupt', 'the check after start-up turns the brain off');
    assert.match((await registry.status('completion')).detail, /is corrupt: sha256/);
  });

  it('replaces a cached file that does not load, and says so', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nanomind-opt-')), 'optimized-models');
    const bytes = new Uint8Array(readFileSync(path.join(models, 'completion-encode.int8.onnx')));
    const sha = JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8')).brains.completion.files.encode.sha256 as string;
    await new OptimizedModelCache(dir, () => {}).session(sha, async () => bytes);
    const [file] = readdirSync(dir);
    writeFileSync(path.join(dir, file), 'not a model');
    const logged: string[] = [];
    const cache = new OptimizedModelCache(dir, (m) => logged.push(m));
    const session = await cache.session(sha, async () => bytes);
    assert.ok(session.inputNames.includes('chunk_ids'));
    assert.equal(cache.saved, 1, 'saved again');
    assert.match(logged.join('\n'), /did not load .*; using the shipped model/);
    assert.notEqual(readFileSync(path.join(dir, file), 'utf8').slice(0, 11), 'not a model');
  });
});
