// The model registry: lazy loading, sha256 checks, and failures that disable one brain only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ModelError, ModelRegistry } from '../../server/src/runtime/models';

function modelsDir(files: Record<string, string>, brains: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-reg-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains }));
  return dir;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ModelRegistry', () => {
  it('is ready when the manifest lists files that exist, and reads them verified', async () => {
    const dir = modelsDir({ 'a.onnx': 'AAA' }, { reasoning: { files: { sudoku: { file: 'a.onnx', sha256: sha('AAA') } } } });
    const reg = new ModelRegistry(dir);
    assert.equal((await reg.status('reasoning')).state, 'ready');
    assert.equal(Buffer.from(await reg.fileBytes('reasoning', 'sudoku')).toString(), 'AAA');
    assert.equal((await reg.status('completion')).state, 'not-installed');
  });

  it('reports a sha256 mismatch as corrupt for that brain only', async () => {
    const dir = modelsDir(
      { 'a.onnx': 'AAA', 'b.json': 'BBB' },
      {
        reasoning: { files: { sudoku: { file: 'a.onnx', sha256: sha('not AAA') } } },
        memory: { files: { scorer: { file: 'b.json', sha256: sha('BBB') } } },
      },
    );
    let changes = 0;
    const reg = new ModelRegistry(dir, undefined, () => changes++);
    await assert.rejects(reg.fileBytes('reasoning', 'sudoku'), (e: unknown) => e instanceof ModelError && /models\/a\.onnx is corrupt/.test(e.message));
    assert.equal((await reg.status('reasoning')).state, 'corrupt');
    assert.equal((await reg.verify('memory')).state, 'ready');
    assert.ok(changes >= 1, 'a failure is announced');
  });

  it('creates one session per file, lazily, and reports a load failure naming the file', async () => {
    const dir = modelsDir(
      { 'a.onnx': 'AAA', 'b.onnx': 'BBB' },
      {
        reasoning: { files: { sudoku: { file: 'a.onnx', sha256: sha('AAA') }, maze: { file: 'b.onnx', sha256: sha('BBB') } } },
      },
    );
    let created = 0;
    const fake = { inputNames: [] } as unknown as InferenceSession;
    const reg = new ModelRegistry(dir, async (_sha, bytes) => {
      created++;
      if (Buffer.from(await bytes()).toString() === 'BBB') throw new Error('protobuf parsing failed\nmore detail');
      return fake;
    });
    assert.equal(created, 0);
    const [s1, s2] = await Promise.all([reg.session('reasoning', 'sudoku'), reg.session('reasoning', 'sudoku')]);
    assert.equal(s1, s2);
    assert.equal(created, 1);
    await assert.rejects(reg.session('reasoning', 'maze'), /models\/b\.onnx could not be loaded: protobuf parsing failed$/);
    assert.equal((await reg.status('reasoning')).state, 'corrupt');
    reg.reset();
    assert.equal((await reg.status('reasoning')).state, 'ready', 'reset forgets failures');
  });

  it('is not installed while a required file is not listed', async () => {
    const dir = modelsDir({ 't.json': 'T' }, { completion: { files: { tokenizer: { file: 't.json', sha256: sha('T') } } } });
    assert.match((await new ModelRegistry(dir).status('completion')).detail, /lists no 'encode', 'denoise' file for completion/);
  });

  it('stays ready without an optional file (the AR twin left out of the VSIX), and says it is absent', async () => {
    const files = { 't.json': 'T', 'e.onnx': 'E', 'd.onnx': 'D' };
    const brains = (withAr: boolean) => ({
      completion: {
        files: {
          tokenizer: { file: 't.json', sha256: sha('T') },
          encode: { file: 'e.onnx', sha256: sha('E') },
          denoise: { file: 'd.onnx', sha256: sha('D') },
          ar: { file: 'ar.onnx', sha256: sha('A'), optional: withAr },
        },
      },
    });
    const optional = new ModelRegistry(modelsDir(files, brains(true)));
    assert.equal((await optional.status('completion')).state, 'ready');
    // The server hashes every file at start (verify): the absent twin must not turn completion off there.
    assert.equal((await optional.verify('completion')).state, 'ready');
    assert.equal((await optional.status('completion')).state, 'ready');
    assert.equal(await optional.hasFile('completion', 'ar'), false);
    assert.equal(await optional.hasFile('completion', 'encode'), true);
    const required = new ModelRegistry(modelsDir(files, brains(false)));
    assert.match((await required.status('completion')).detail, /models\/ar\.onnx is missing/);
  });

  it('names a missing manifest and a missing file', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'nanomind-reg-'));
    assert.match((await new ModelRegistry(empty).status('memory')).detail, /models\/manifest\.json is missing/);
    const dir = modelsDir({}, { memory: { files: { scorer: { file: 'namm.json', sha256: sha('x') } } } });
    assert.match((await new ModelRegistry(dir).status('memory')).detail, /model not installed: models\/namm\.json is missing/);
  });

  it('passes bytes to onnxruntime-node, which rejects a non-model file with the file named', async (t) => {
    const dir = modelsDir({ 'g.onnx': 'garbage' }, { reasoning: { files: { sudoku: { file: 'g.onnx', sha256: sha('garbage') } } } });
    const reg = new ModelRegistry(dir);
    await assert.rejects(reg.session('reasoning', 'sudoku'), /models\/g\.onnx could not be loaded/);
    t.diagnostic('onnxruntime-node loaded and rejected a non-model file');
  });

  it('keeps each puzzle family apart: a bad or missing family file turns off that family only', async () => {
    const dir = modelsDir(
      { 's.onnx': 'S', 'm.onnx': 'M' },
      {
        reasoning: { files: { sudoku: { file: 's.onnx', sha256: sha('S') }, maze: { file: 'm.onnx', sha256: sha('not M') } } },
      },
    );
    const reg = new ModelRegistry(dir);
    assert.equal((await reg.verify('reasoning')).state, 'corrupt');
    assert.equal((await reg.status('reasoning', 'sudoku')).state, 'ready');
    assert.equal((await reg.status('reasoning', 'maze')).state, 'corrupt');
    assert.match((await reg.status('reasoning')).detail, /^maze off: models\/m\.onnx is corrupt: sha256 .*; sudoku works$/);
    const missing = modelsDir(
      { 's.onnx': 'S' },
      {
        reasoning: { files: { sudoku: { file: 's.onnx', sha256: sha('S') }, maze: { file: 'm.onnx', sha256: sha('M') } } },
      },
    );
    const partial = new ModelRegistry(missing);
    assert.equal((await partial.status('reasoning', 'sudoku')).state, 'ready');
    assert.match((await partial.status('reasoning', 'maze')).detail, /models\/m\.onnx is missing/);
  });

  // Reasoning's three files, and a manifest whose maze / conv maze hashes are those of `maze` / `conv`.
  const reasoningFiles = { 's.onnx': 'S', 'm.onnx': 'M', 'c.onnx': 'C' };
  const reasoningManifest = (maze: string, conv: string) => ({
    reasoning: {
      files: {
        sudoku: { file: 's.onnx', sha256: sha('S') },
        maze: { file: 'm.onnx', sha256: sha(maze) },
        mazeConv: { file: 'c.onnx', sha256: sha(conv) },
      },
    },
  });

  it('stays ready when a helper file of reasoning (the conv maze model) is bad, and names it', async () => {
    const reg = new ModelRegistry(modelsDir(reasoningFiles, reasoningManifest('M', 'not C')));
    const status = await reg.verify('reasoning');
    assert.equal(status.state, 'ready');
    assert.match(status.detail, /^mazeConv off: models\/c\.onnx is corrupt: sha256 .*; sudoku, maze works$/);
    assert.equal((await reg.status('reasoning', 'maze')).state, 'ready');
    assert.equal((await reg.status('reasoning', 'mazeConv')).state, 'corrupt');
    const missing = new ModelRegistry(modelsDir({ 's.onnx': 'S', 'm.onnx': 'M' }, reasoningManifest('M', 'C')));
    assert.deepEqual(await missing.status('reasoning'), {
      state: 'ready',
      detail: 'mazeConv off: model not installed: models/c.onnx is missing; sudoku, maze works',
    });
    // A bad family still sets the state, whatever the helper's.
    const both = new ModelRegistry(modelsDir(reasoningFiles, reasoningManifest('not M', 'not C')));
    assert.equal((await both.verify('reasoning')).state, 'corrupt');
    assert.match((await both.status('reasoning')).detail, /^maze off: .*; mazeConv off: .*; sudoku works$/);
  });

  it('names a file of reasoning not hashed yet as being checked, not as working', async () => {
    const dir = modelsDir(reasoningFiles, reasoningManifest('not M', 'C'));
    // verify hashes the files in order; the moment maze is found corrupt (onChange), mazeConv has not been read.
    let during: Promise<{ detail: string }> | undefined;
    const reg: ModelRegistry = new ModelRegistry(dir, undefined, () => (during ??= reg.status('reasoning')));
    const after = await reg.verify('reasoning');
    assert.ok(during, 'the corrupt maze file was reported');
    assert.match((await during).detail, /^maze off: models\/m\.onnx is corrupt: .*; sudoku works; mazeConv being checked$/);
    assert.match(after.detail, /^maze off: models\/m\.onnx is corrupt: .*; sudoku, mazeConv works$/);
  });

  it('records a failure found outside the registry until a reset', async () => {
    const dir = modelsDir(
      { 't.json': 'T', 'e.onnx': 'E', 'd.onnx': 'D' },
      {
        completion: {
          files: {
            tokenizer: { file: 't.json', sha256: sha('T') },
            encode: { file: 'e.onnx', sha256: sha('E') },
            denoise: { file: 'd.onnx', sha256: sha('D') },
          },
        },
      },
    );
    const reg = new ModelRegistry(dir);
    assert.equal((await reg.status('completion')).state, 'ready');
    reg.markFailed('completion', { state: 'corrupt', detail: 'tokenizer models/t.json: not valid JSON' }, 'tokenizer');
    assert.deepEqual(await reg.status('completion'), { state: 'corrupt', detail: 'tokenizer models/t.json: not valid JSON' });
    reg.reset();
    assert.equal((await reg.status('completion')).state, 'ready');
  });
});
