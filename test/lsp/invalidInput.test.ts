// Input the server must refuse, as LSP 3.18 says: requests before `initialize` (-32002) and after
// `shutdown` (-32600), a second `initialize`, `params: null` on the custom requests and a non-string
// command (-32602), and a didOpen/didChange with a malformed document (ignored, with the reason logged).
// Each over raw stdio, since some of these cannot be sent through vscode-jsonrpc's client API.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initializeParams, startRawServer, type RawServer } from './raw';

const ServerNotInitialized = -32002;
const InvalidRequest = -32600;
const InvalidParams = -32602;

function emptyModelsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: {} }));
  return dir;
}

const hover = (uri: string) => ({ textDocument: { uri }, position: { line: 0, character: 0 } });
const logMessages = (s: RawServer) => s.messages.filter((m) => m.method === 'window/logMessage').map((m) => (m.params as { message: string }).message);

describe('input the server refuses', () => {
  it('answers requests before initialize with -32002 and drops notifications', async () => {
    const s = startRawServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    try {
      assert.equal((await s.request(1, 'nanomind/status')).error?.code, ServerNotInitialized);
      assert.equal((await s.request(2, 'textDocument/hover', hover('file:///a.ts'))).error?.code, ServerNotInitialized);
      assert.equal((await s.request(3, 'shutdown')).error?.code, ServerNotInitialized);
      s.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///a.ts', languageId: 'typescript', version: 1, text: 'x' } } });
      assert.ok((await s.request(4, 'initialize', initializeParams)).result);
      s.send({ method: 'initialized', params: {} });
      const r = await s.request(5, 'textDocument/hover', hover('file:///a.ts'));
      assert.equal(r.error?.code, InvalidParams, 'the didOpen sent before initialize was dropped');
      assert.match(r.error!.message, /is not open/);
      assert.equal((await s.request(6, 'initialize', initializeParams)).error?.code, InvalidRequest, 'initialize is accepted once');
    } finally {
      s.kill();
    }
  });

  it('refuses params: null on custom requests, a non-string command, and a malformed document', async () => {
    const s = startRawServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    try {
      await s.request(1, 'initialize', initializeParams);
      s.send({ method: 'initialized', params: {} });
      assert.equal((await s.request(2, 'nanomind/status', null)).error?.code, InvalidParams);
      assert.ok((await s.request(3, 'nanomind/status')).result, 'no params is fine');
      assert.ok((await s.request(4, 'nanomind/status', {})).result, 'an empty object is fine');
      assert.equal((await s.request(5, 'nanomind/memoryMap', null)).error?.code, InvalidParams);
      assert.equal((await s.request(6, 'workspace/executeCommand', { command: 42 })).error?.code, InvalidParams);
      assert.equal((await s.request(7, 'workspace/executeCommand', null)).error?.code, InvalidParams);
      assert.equal((await s.request(8, 'workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: 'x' })).error?.code, InvalidParams);

      // A didOpen whose text is not a string is ignored (and logged): the document is not open.
      s.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///bad.ts', languageId: 'typescript', version: 1, text: 12345 } } });
      const r = await s.request(9, 'textDocument/hover', hover('file:///bad.ts'));
      assert.equal(r.error?.code, InvalidParams);
      assert.ok(
        logMessages(s).some((m) => /didOpen.*textDocument\.text must be a string/.test(m)),
        logMessages(s).join('\n'),
      );

      // A didChange with a change that is not text leaves the document as it was.
      const uri = 'file:///good.py';
      s.send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'python', version: 1, text: 'x = 1\n' } } });
      s.send({ method: 'textDocument/didChange', params: { textDocument: { uri, version: 2 }, contentChanges: [{ text: { not: 'text' } }] } });
      s.send({
        method: 'textDocument/didChange',
        params: {
          textDocument: { uri, version: 3 },
          contentChanges: [{ range: { start: { line: 'a', character: 0 }, end: { line: 0, character: 0 } }, text: 'y' }],
        },
      });
      const map = await s.request(10, 'nanomind/memoryMap', { uri });
      assert.equal(map.error, undefined, JSON.stringify(map.error));
      assert.ok(
        logMessages(s).some((m) => /didChange.*content change needs a string text/.test(m)),
        logMessages(s).join('\n'),
      );
      assert.ok(
        logMessages(s).some((m) => /didChange.*range must have valid start and end/.test(m)),
        logMessages(s).join('\n'),
      );
    } finally {
      s.kill();
    }
  });

  it('answers requests after shutdown with -32600, then exits with 0 on exit', async () => {
    const s = startRawServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    await s.request(1, 'initialize', initializeParams);
    s.send({ method: 'initialized', params: {} });
    assert.equal((await s.request(2, 'shutdown')).error, undefined);
    assert.equal((await s.request(3, 'nanomind/status')).error?.code, InvalidRequest);
    assert.equal((await s.request(4, 'shutdown')).error?.code, InvalidRequest);
    assert.equal((await s.request(5, 'no/such/method')).error?.code, InvalidRequest);
    s.send({ method: 'exit' });
    assert.equal(await s.exited, 0);
  });
});
