// The shipped models/ folder against its manifest: every file's sha256, and every ONNX graph's tensor
// names, types and shapes as written for the server (the one spec training and serving share).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { onnxRuntime } from '../../server/src/runtime/onnxruntime';
import type { Manifest } from '../../server/src/runtime/models';

const ort = onnxRuntime();

const modelsDir = path.join(__dirname, '..', '..', 'models');
const manifest = JSON.parse(readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8')) as Manifest;
const entries = Object.entries(manifest.brains).flatMap(([brain, b]) => Object.entries(b!.files).map(([key, f]) => ({ brain, key, f })));

interface TensorSpec {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

describe('models/manifest.json', () => {
  it('lists every model file in models/, and nothing that is not there', () => {
    const listed = new Set(entries.map((e) => e.f.file));
    const onDisk = readdirSync(modelsDir).filter((f) => f.endsWith('.onnx') || f === 'tokenizer.json' || f === 'memory-scorer.json');
    assert.deepEqual([...listed].sort(), onDisk.sort());
  });

  it('the VSIX carries every required model file and not the optional ones, at most 50 MB in all', () => {
    // What vsce packs from models/: the files .vscodeignore lets back in (`!models/...`).
    const patterns = readFileSync(path.join(__dirname, '..', '..', '.vscodeignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!models/'))
      .map((l) => l.slice(1).trim());
    const packed = readdirSync(modelsDir).filter((f) => patterns.some((p) => path.matchesGlob(`models/${f}`, p)));
    for (const e of entries) assert.equal(packed.includes(e.f.file), !e.f.optional, `${e.f.file} ${e.f.optional ? 'stays out' : 'is packed'}`);
    const bytes = packed.reduce((sum, f) => sum + statSync(path.join(modelsDir, f)).size, 0);
    assert.ok(bytes <= 50e6, `${(bytes / 1e6).toFixed(1)} MB`);
  });

  for (const { brain, key, f } of entries) {
    it(`${brain}/${key}: sha256 and size match ${f.file}`, () => {
      const bytes = readFileSync(path.join(modelsDir, f.file));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256);
      if (f.bytes !== undefined) assert.equal(bytes.length, f.bytes);
    });

    if (!f.file.endsWith('.onnx')) continue;
    it(`${brain}/${key}: the graph's inputs and outputs are the manifest's`, async () => {
      const session = await ort.InferenceSession.create(path.join(modelsDir, f.file));
      const specs = (list: unknown) => list as TensorSpec[];
      const meta = (m: readonly Ort.InferenceSession.ValueMetadata[]) =>
        m.map((v) => (v.isTensor ? { name: v.name, dtype: v.type, shape: v.shape } : { name: v.name }));
      assert.deepEqual(meta(session.inputMetadata), specs(f.inputs));
      assert.deepEqual(meta(session.outputMetadata), specs(f.outputs));
    });
  }
});
