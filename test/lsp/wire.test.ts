// A byte stream on stdio that cannot be parsed as LSP messages ends the server, with the reason on
// stderr and exit code 1, instead of leaving it alive and deaf; a body that is not JSON is reported and
// the stream goes on. Each case on a fresh server process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { withTimeout } from './client';
import { initializeParams, startRawServer } from './raw';

function emptyModelsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: {} }));
  return dir;
}

const broken: [string, string | Buffer, RegExp][] = [
  ['a missing Content-Length', 'Content-Type: application/json\r\n\r\n{}', /without a Content-Length header/],
  ['a Content-Length that is not a number', 'Content-Length: twelve\r\n\r\n{}', /Content-Length "twelve" is not a byte count/],
  ['a negative Content-Length', 'Content-Length: -5\r\n\r\n{}', /Content-Length "-5" is not a byte count/],
  ['a header without ":"', 'Content-Length 2\r\n\r\n{}', /a header line without ':'/],
  ['LF-only header lines', 'Content-Length: 2\n\n{}', /ends with LF alone/],
  ['text before initialize', 'hello server, please start\n', /ends with LF alone/],
  ['binary garbage before initialize', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x7f]), /byte 0x00 in the header/],
  ['a header that never ends', 'X'.repeat(10_000), /no end of the header after 8192 bytes/],
];

describe('a stream that cannot be parsed', () => {
  for (const [name, bytes, reason] of broken) {
    it(`ends the server on ${name}, with the reason on stderr`, async () => {
      const s = startRawServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
      try {
        s.write(bytes);
        assert.equal(await withTimeout(s.exited, 10_000), 1);
        assert.match(s.stderr(), /nanomind: the input cannot be read as LSP messages: /);
        assert.match(s.stderr(), reason);
      } finally {
        s.kill();
      }
    });
  }

  it('reports a body that is not JSON and keeps serving', async () => {
    const s = startRawServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    try {
      s.write('Content-Length: 9\r\n\r\n{not json');
      const init = await s.request(1, 'initialize', initializeParams);
      assert.ok(init.result);
      assert.match(s.stderr(), /a message body is not JSON/);
      assert.equal(s.process.exitCode, null);
    } finally {
      s.kill();
    }
  });
});
