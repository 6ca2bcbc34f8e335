// The server's entry with V8's code cache (server/src/boot.ts): the first start writes the cache when the
// server exits, a later start reads it and leaves it as it is, and a damaged file is said, compiled past and
// written again. The server answers the same in every case.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startServer } from './client';

/** One start: initialize, a status request, shutdown and exit. Returns what the server wrote on stderr. */
async function startAndStop(env: Record<string, string>): Promise<string> {
  const server = startServer({ NANOMIND_MODELS_DIR: mkdtempSync(path.join(tmpdir(), 'nanomind-none-')), ...env });
  try {
    const init = await server.initialize();
    assert.equal(init.serverInfo?.name, 'nanomind');
    const status = await server.request<{ brains: Record<string, { state: string }> }>('nanomind/status');
    assert.equal(status.brains.completion.state, 'not-installed');
  } finally {
    await server.stop();
  }
  assert.equal(await server.exited, 0, server.stderr());
  return server.stderr();
}

/** The cache files in `dir`, and whether each is whole (its first 32 bytes are the sha256 of the rest). */
function cacheFiles(dir: string): { name: string; whole: boolean; mtimeMs: number }[] {
  return readdirSync(dir).map((name) => {
    const bytes = readFileSync(path.join(dir, name));
    const whole = createHash('sha256').update(bytes.subarray(32)).digest().equals(bytes.subarray(0, 32));
    return { name, whole, mtimeMs: statSync(path.join(dir, name)).mtimeMs };
  });
}

describe('the code cache (NANOMIND_CODE_CACHE)', () => {
  it('is written at the first exit, read and kept by later starts, and replaced when damaged', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nanomind-storage-')), 'code-cache');
    const env = { NANOMIND_CODE_CACHE: dir };
    assert.doesNotMatch(await startAndStop(env), /code cache/);
    const [first, ...others] = cacheFiles(dir);
    assert.deepEqual(others, [], 'one file');
    assert.match(first.name, /^server-[0-9a-f]{24}\.v8cache$/);
    assert.ok(first.whole);

    assert.doesNotMatch(await startAndStop(env), /code cache/);
    assert.deepEqual(cacheFiles(dir), [first], 'a start that read the cache leaves it as it was');

    const file = path.join(dir, first.name);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    assert.match(await startAndStop(env), /nanomind: the code cache .* is damaged; compiling, and writing it again at exit/);
    const [again] = cacheFiles(dir);
    assert.equal(again.name, first.name);
    assert.ok(again.whole, 'written again, whole');
  });

  it('says so when it cannot be saved, and the server still exits cleanly', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'nanomind-storage-')), 'a-file');
    writeFileSync(file, 'not a folder');
    assert.match(await startAndStop({ NANOMIND_CODE_CACHE: path.join(file, 'code-cache') }), /nanomind: the code cache .* could not be saved \(Error: ENOTDIR/);
  });

  it('is off, with a warning, for a relative folder', async () => {
    assert.match(await startAndStop({ NANOMIND_CODE_CACHE: 'relative/dir' }), /NANOMIND_CODE_CACHE is not an absolute path; the code cache is off/);
  });
});
