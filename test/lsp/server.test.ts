// Protocol tests: the built server over real JSON-RPC, with no models installed, a corrupt model,
// odd parameters, cancellation and a clean shutdown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource, repoRoot, startServer, withTimeout, type TestServer } from './client';

const InvalidParams = -32602;
const MethodNotFound = -32601;
const RequestCancelled = -32800;

interface Status {
  brains: Record<string, { state: string; detail: string }>;
  completionEnabled: boolean;
}

const SUDOKU = [
  '5 3 . | . 7 . | . . .',
  '6 . . | 1 9 5 | . . .',
  '. 9 8 | . . . | . 6 .',
  '------+-------+------',
  '8 . . | . 6 . | . . 3',
  '4 . . | 8 . 3 | . . 1',
  '7 . . | . 2 . | . . 6',
  '------+-------+------',
  '. 6 . | . . . | 2 8 .',
  '. . . | 4 1 9 | . . 5',
  '. . . | . 8 . | . 7 9',
  '',
].join('\n');

const SOLVED = [
  '5 3 4 | 6 7 8 | 9 1 2',
  '6 7 2 | 1 9 5 | 3 4 8',
  '1 9 8 | 3 4 2 | 5 6 7',
  '------+-------+------',
  '8 5 9 | 7 6 1 | 4 2 3',
  '4 2 6 | 8 5 3 | 7 9 1',
  '7 1 3 | 9 2 4 | 8 5 6',
  '------+-------+------',
  '9 6 1 | 5 3 7 | 2 8 4',
  '2 8 7 | 4 1 9 | 6 3 5',
  '3 4 5 | 2 8 6 | 1 7 9',
  '',
].join('\n');

function emptyModelsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, brains: {} }));
  return dir;
}

async function errorCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return (e as { code: number }).code;
  }
  assert.fail('expected an error response');
}

describe('server with no models installed', () => {
  let server: TestServer;
  const uri = 'file:///work/example.ts';

  before(async () => {
    server = startServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    const init = await withTimeout(server.initialize(), 10_000);
    assert.equal(init.serverInfo?.name, 'nanomind');
    assert.equal(init.capabilities.hoverProvider, true);
    assert.ok(init.capabilities.inlineCompletionProvider);
    assert.deepEqual(init.capabilities.executeCommandProvider?.commands, ['nanomind.server.solvePuzzle']);
    await server.open(uri, 'typescript', 'export function add(a: number, b: number) {\n  return a + b;\n}\n');
  });

  after(() => server.stop());

  it('reports every brain as not installed, naming what is missing', async () => {
    const status = await server.request<Status>('nanomind/status');
    for (const brain of ['completion', 'memory', 'reasoning']) {
      assert.equal(status.brains[brain].state, 'not-installed', brain);
      assert.match(status.brains[brain].detail, new RegExp(`model not installed: no ${brain} model in models/manifest.json`));
    }
    assert.equal(status.completionEnabled, true);
  });

  it('answers a hover with the memory report and, in one line, why nothing was dropped', async () => {
    const hover = await server.request<{ contents: { kind: string; value: string } }>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 1, character: 4 },
    });
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /nanomind memory/);
    assert.match(hover.contents.value, /the memory model is not trained yet/);
    assert.equal(hover.contents.value.split('\n').length, 1, `one short line: ${hover.contents.value}`);
  });

  it('gives no inline completion (rather than a made-up one) without a model', async () => {
    const items = await server.request<unknown[]>('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 1, character: 9 },
      context: { triggerKind: 2 },
    });
    assert.deepEqual(items, []);
  });

  it('solves a Sudoku: the network part says the model is missing; the exact solver is labelled', async () => {
    const sudoku = 'file:///work/p.sudoku';
    await server.open(sudoku, 'sudoku', SUDOKU);
    const solve = (args: object) =>
      server.request<{ outcome: string; solver: string; unavailable?: string; answerText: string | null; problems: unknown[] }>('workspace/executeCommand', {
        command: 'nanomind.server.solvePuzzle',
        arguments: [{ uri: sudoku, ...args }],
      });
    const network = await solve({});
    assert.equal(network.outcome, 'unavailable');
    assert.match(network.unavailable ?? '', /model not installed/);
    assert.equal(network.answerText, null);
    const exact = await solve({ exact: true });
    assert.equal(exact.solver, 'exact');
    assert.equal(exact.outcome, 'verified');
    assert.deepEqual(exact.problems, []);
    assert.equal(exact.answerText, SOLVED);
  });

  it('solves a puzzle selected in a file the server is not sent (Markdown): the document comes with the request', async () => {
    const notes = 'file:///work/notes.md';
    const text = `# Today's puzzle\n\n${SUDOKU}`;
    const range = { start: { line: 2, character: 0 }, end: { line: 2 + SUDOKU.trimEnd().split('\n').length, character: 0 } };
    const solve = (args: object) =>
      server.request<{ outcome: string; solver: string; answerText: string | null; version: number }>('workspace/executeCommand', {
        command: 'nanomind.server.solvePuzzle',
        arguments: [{ uri: notes, range, exact: true, ...args }],
      });
    const exact = await solve({ document: { text, languageId: 'markdown', version: 7 } });
    assert.equal(exact.outcome, 'verified');
    assert.equal(exact.answerText, SOLVED);
    assert.equal(exact.version, 7, 'the version the client sent, for Apply to check against');
    // Without its text the server cannot know it, and says so; a malformed document is refused.
    assert.equal(await errorCode(solve({})), InvalidParams);
    assert.equal(await errorCode(solve({ document: { text: 3, languageId: 'markdown', version: 1 } })), InvalidParams);
  });

  it('rejects a bad puzzle with its line and column, and keeps serving', async () => {
    const bad = 'file:///work/bad.sudoku';
    await server.open(bad, 'sudoku', SUDOKU.replace('6 . . | 1 9 5', '6 . . | 1 x 5'));
    const err = await server.request('workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: [{ uri: bad }] }).then(
      () => assert.fail('expected an error'),
      (e: { message: string; data: { line: number; column: number } }) => e,
    );
    assert.match(err.message, /line 2, column 11/);
    assert.deepEqual(err.data, { line: 2, column: 11 });
    const clash = 'file:///work/clash.sudoku';
    await server.open(clash, 'sudoku', SUDOKU.replace('5 3 .', '5 3 5'));
    await assert.rejects(server.request('workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: [{ uri: clash }] }), /line 1, column/);
    assert.equal(await errorCode(server.request('workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: [] })), InvalidParams);
    assert.equal(
      await errorCode(server.request('workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: [{ uri: bad, range: { start: 1 } }] })),
      InvalidParams,
    );
    assert.ok((await server.request<Status>('nanomind/status')).brains.reasoning);
  });

  it('answers bad params with InvalidParams and keeps serving', async () => {
    assert.equal(await errorCode(server.request('textDocument/hover', {})), InvalidParams);
    assert.equal(await errorCode(server.request('textDocument/hover', { textDocument: { uri }, position: { line: -1, character: 'x' } })), InvalidParams);
    assert.equal(await errorCode(server.request('textDocument/inlineCompletion', null)), InvalidParams);
    assert.equal(
      await errorCode(server.request('textDocument/hover', { textDocument: { uri: 'file:///not/open.ts' }, position: { line: 0, character: 0 } })),
      InvalidParams,
    );
    assert.equal(await errorCode(server.request('workspace/executeCommand', { command: 'nanomind.nope' })), InvalidParams);
    assert.equal(await errorCode(server.request('nanomind/noSuchMethod', {})), MethodNotFound);
    const status = await server.request<Status>('nanomind/status');
    assert.ok(status.brains.completion);
  });

  it('handles a position past the end of the document', async () => {
    const items = await server.request<unknown[]>('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 999, character: 999 },
      context: { triggerKind: 2 },
    });
    assert.deepEqual(items, []);
  });

  it('settles a cancelled request and keeps serving', async () => {
    const source = new CancellationTokenSource();
    const pending = server.request(
      'textDocument/inlineCompletion',
      { textDocument: { uri }, position: { line: 1, character: 9 }, context: { triggerKind: 1 } },
      source,
    );
    source.cancel();
    const outcome = await withTimeout(
      pending.then(
        (r) => ({ ok: r }),
        (e: { code: number }) => ({ code: e.code }),
      ),
      5000,
    );
    assert.ok('ok' in outcome ? Array.isArray(outcome.ok) : outcome.code === RequestCancelled, JSON.stringify(outcome));
    const status = await server.request<Status>('nanomind/status');
    assert.ok(status.brains.memory);
  });

  it('follows settings sent by didChangeConfiguration', async () => {
    await server.notify('workspace/didChangeConfiguration', { settings: { nanomind: { completion: { enabled: false } } } });
    const status = await server.request<Status>('nanomind/status');
    assert.equal(status.completionEnabled, false);
    await server.notify('workspace/didChangeConfiguration', { settings: { nanomind: { completion: { enabled: 'yes please' } } } });
    assert.equal((await server.request<Status>('nanomind/status')).completionEnabled, true, 'a bad value falls back to the default');
  });
});

describe('server with a corrupt and a missing model file', () => {
  it('disables only the brains whose files are bad, naming the file and the reason', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
    writeFileSync(path.join(dir, 'hrm-sudoku.onnx'), 'not really a model');
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        version: 1,
        brains: {
          reasoning: { files: { sudoku: { file: 'hrm-sudoku.onnx', sha256: '0'.repeat(64) } } },
          completion: {
            files: {
              tokenizer: { file: 'tokenizer.json', sha256: '1'.repeat(64) },
              encode: { file: 'encode.onnx', sha256: '2'.repeat(64) },
              denoise: { file: 'denoise.onnx', sha256: '3'.repeat(64) },
            },
          },
        },
      }),
    );
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    try {
      await server.initialize();
      // Verification runs in the background after `initialized`; poll until it has reported.
      let status: Status | undefined;
      for (let i = 0; i < 50; i++) {
        status = await server.request<Status>('nanomind/status');
        if (status.brains.reasoning.state === 'corrupt') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status!.brains.reasoning.state, 'corrupt');
      assert.match(status!.brains.reasoning.detail, /models\/hrm-sudoku\.onnx is corrupt: sha256/);
      assert.equal(status!.brains.completion.state, 'not-installed');
      assert.match(status!.brains.completion.detail, /models\/tokenizer\.json is missing/);
      assert.equal(status!.brains.memory.state, 'not-installed');
      // Solve Puzzle still parses and answers, saying why the network cannot run.
      await server.open('file:///p.sudoku', 'sudoku', SUDOKU);
      const r = await server.request<{ outcome: string; unavailable: string }>('workspace/executeCommand', {
        command: 'nanomind.server.solvePuzzle',
        arguments: [{ uri: 'file:///p.sudoku' }],
      });
      assert.equal(r.outcome, 'unavailable');
      assert.match(r.unavailable, /hrm-sudoku\.onnx is corrupt/);
    } finally {
      await server.stop();
    }
  });

  it('answers inline completion with nothing when a completion model file is corrupt', async () => {
    const fixture = path.join(repoRoot, 'test', 'fixtures', 'tiny-completion');
    const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
    const manifest = JSON.parse(readFileSync(path.join(fixture, 'manifest.json'), 'utf8'));
    for (const f of Object.values(manifest.brains.completion.files) as { file: string }[]) f.file = path.join(fixture, f.file);
    manifest.brains.completion.files.denoise.sha256 = '4'.repeat(64);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    try {
      await server.initialize();
      await server.open('file:///c.ts', 'typescript', 'const x = 1;\n\n');
      const items = await server.request<unknown[]>('textDocument/inlineCompletion', {
        textDocument: { uri: 'file:///c.ts' },
        position: { line: 1, character: 0 },
        context: { triggerKind: 2 },
      });
      assert.deepEqual(items, []);
      const status = await server.request<Status>('nanomind/status');
      assert.equal(status.brains.completion.state, 'corrupt');
      assert.match(status.brains.completion.detail, /denoise\.onnx is corrupt: sha256/);
    } finally {
      await server.stop();
    }
  });

  it('serves from a cached graph at start, then turns completion off when the shipped model fails its sha256 check', async () => {
    const models = path.join(repoRoot, 'models');
    const manifest = JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8'));
    const denoise = manifest.brains.completion.files.denoise.file as string;
    const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
    for (const file of readdirSync(models)) symlinkSync(path.join(models, file), path.join(dir, file));
    const storage = mkdtempSync(path.join(tmpdir(), 'nanomind-storage-'));
    const uri = 'file:///c.ts';
    // The end-to-end suite's first case: the shipped model finishes this loop header.
    const text = 'export function sumValues(values: number[]): number {\n  let total = 0;\n  for (let i = 0; i < values.length; )\n}\n';
    const complete = (server: TestServer) =>
      server.request<unknown[]>('textDocument/inlineCompletion', { textDocument: { uri }, position: { line: 2, character: 37 }, context: { triggerKind: 2 } });
    const start = async () => {
      const server = startServer({ NANOMIND_MODELS_DIR: dir });
      await server.initialize({ storagePath: storage });
      await server.open(uri, 'typescript', text);
      return server;
    };
    const filling = await start();
    try {
      await complete(filling); // the first start saves the optimized graphs
    } finally {
      await filling.stop();
    }
    // The shipped denoiser changes on disk (one byte): its cached graph still loads, without the file.
    rmSync(path.join(dir, denoise));
    const bytes = readFileSync(path.join(models, denoise));
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(path.join(dir, denoise), bytes);
    const server = await start();
    try {
      assert.notDeepEqual(await complete(server), [], 'the first suggestion comes from the cached graphs, before the check');
      let status: Status | undefined;
      for (let i = 0; i < 100; i++) {
        status = await server.request<Status>('nanomind/status');
        if (status.brains.completion.state !== 'ready') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status!.brains.completion.state, 'corrupt');
      assert.match(status!.brains.completion.detail, /denoise\.int8\.onnx is corrupt: sha256/);
      assert.deepEqual(await complete(server), [], 'no suggestion once the check failed');
    } finally {
      await server.stop();
    }
  });

  it('treats an unreadable manifest as not valid, and still serves hovers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
    writeFileSync(path.join(dir, 'manifest.json'), '{ this is not json');
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    try {
      await server.initialize();
      const status = await server.request<Status>('nanomind/status');
      assert.equal(status.brains.completion.state, 'corrupt');
      assert.match(status.brains.completion.detail, /models\/manifest\.json is not valid/);
      await server.open('file:///a.py', 'python', 'x = 1\n');
      const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', {
        textDocument: { uri: 'file:///a.py' },
        position: { line: 0, character: 0 },
      });
      assert.match(hover.contents.value, /nanomind memory/);
    } finally {
      await server.stop();
    }
  });
});

describe('server with the shipped models folder', () => {
  it('counts context tokens with the shipped tokenizer; the completion brain is ready', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'models') });
    try {
      await server.initialize();
      const status = await server.request<Status>('nanomind/status');
      assert.equal(status.brains.completion.state, 'ready', status.brains.completion.detail);
      const uri = 'file:///work/x.py';
      await server.open(uri, 'python', 'def f(x):\n    return x * 2\n');
      const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 4 } });
      const m = /kept (\d+) of (\d+) context tokens \(0\.0% saved\)/.exec(hover.contents.value);
      assert.ok(m, hover.contents.value);
      assert.ok(Number(m[2]) > 5 && Number(m[2]) < 30, `a 2-line file is a handful of tokens, got ${m[2]}`);
    } finally {
      await server.stop();
    }
  });

  it('completes a real snippet with the shipped diffusion model: ghost text at the cursor, latency reported', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'models') });
    try {
      await server.initialize();
      const uri = 'file:///work/loop.ts';
      const text = 'export function total(items: number[]): number {\n  let sum = 0;\n  for (let i = 0; i < items.length; \n  return sum;\n}\n';
      await server.open(uri, 'typescript', text);
      const position = { line: 2, character: '  for (let i = 0; i < items.length; '.length };
      const items = await server.request<{ insertText: string; range: { start: typeof position; end: typeof position } }[]>('textDocument/inlineCompletion', {
        textDocument: { uri },
        position,
        context: { triggerKind: 1 },
      });
      assert.equal(items.length, 1, 'one suggestion');
      assert.match(items[0].insertText, /^i\+\+\)/, `the loop header is finished: ${JSON.stringify(items[0].insertText)}`);
      assert.deepEqual(items[0].range, { start: position, end: position });
      const status = await server.request<Status & { lastCompletionMs: number | null }>('nanomind/status');
      assert.ok(status.lastCompletionMs !== null && status.lastCompletionMs > 0, 'the status reports the latency');
    } finally {
      await server.stop();
    }
  });

  it('with the real model: a 10 MB file, binary text, a position past the end and an unknown language get an answer, never a crash', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'models') });
    type Item = { insertText: string };
    const ask = (uri: string, line: number, character: number) =>
      withTimeout(
        server.request<Item[]>('textDocument/inlineCompletion', { textDocument: { uri }, position: { line, character }, context: { triggerKind: 1 } }),
        30_000,
      );
    try {
      await server.initialize();
      const huge = 'export const value = compute(alpha, beta, gamma);\n'.repeat(200_000);
      assert.ok(huge.length >= 10_000_000);
      await server.open('file:///work/huge.ts', 'typescript', huge);
      const started = Date.now();
      assert.ok(Array.isArray(await ask('file:///work/huge.ts', 100_000, 10)));
      assert.ok(Date.now() - started < 20_000, 'the context window keeps a 10 MB file cheap');

      const binary = Array.from({ length: 5000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join('');
      await server.open('file:///work/blob.ts', 'typescript', binary);
      assert.ok(Array.isArray(await ask('file:///work/blob.ts', 0, 2500)));

      await server.open('file:///work/small.ts', 'typescript', 'const a = 1;\n');
      assert.deepEqual(await ask('file:///work/small.ts', 999_999, 0), []);
      await server.open('file:///work/x.cob', 'cobol', 'IDENTIFICATION DIVISION.\n');
      assert.deepEqual(await ask('file:///work/x.cob', 1, 0), []);

      const status = await server.request<Status>('nanomind/status');
      assert.equal(status.brains.completion.state, 'ready', 'still serving');
    } finally {
      await server.stop();
    }
  });

  it('solves the demo Sudoku with the shipped HRM, verified, streaming its steps', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'models') });
    const steps: { runId: string; step: number; rows: string[] }[] = [];
    server.connection.onNotification('nanomind/puzzleStep', (s: { runId: string; step: number; rows: string[] }) => {
      steps.push(s);
    });
    try {
      await server.initialize();
      assert.equal((await server.request<Status>('nanomind/status')).brains.reasoning.state, 'ready');
      const uri = 'file:///work/demo.sudoku';
      await server.open(uri, 'sudoku', readFileSync(path.join(repoRoot, 'demo', 'example.sudoku'), 'utf8'));
      const r = await server.request<{ solver: string; outcome: string; steps: number; answerText: string; runId: string }>('workspace/executeCommand', {
        command: 'nanomind.server.solvePuzzle',
        arguments: [{ uri, runId: 'lsp-1' }],
      });
      assert.equal(r.solver, 'network');
      assert.equal(r.outcome, 'verified');
      assert.ok(r.steps >= 1);
      assert.equal(r.answerText, SOLVED);
      assert.equal(steps.length, r.steps, 'one notification per ACT step');
      assert.ok(steps.every((s) => s.runId === 'lsp-1' && s.rows.length === 9));
    } finally {
      await server.stop();
    }
  });
});

describe('server with a (tiny, random-weight) completion model', () => {
  it('settles a burst of 50 inline-completion requests with cancellations, with memory flat', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'test', 'fixtures', 'tiny-completion') });
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))![1]) / 1024;
    try {
      await server.initialize();
      assert.equal((await server.request<Status>('nanomind/status')).brains.completion.state, 'ready');
      const uri = 'file:///work/burst.ts';
      const text = readFileSync(path.join(repoRoot, 'demo', 'example.ts'), 'utf8');
      await server.open(uri, 'typescript', text);
      const burst = async (round: number) => {
        const pending = Array.from({ length: 50 }, (_, i) => {
          const source = new CancellationTokenSource();
          const line = 8 + (i % 10);
          const p = server
            .request('textDocument/inlineCompletion', { textDocument: { uri }, position: { line, character: 2 }, context: { triggerKind: 2 } }, source)
            .then(
              () => 'answered',
              (e: { code: number }) => (e.code === RequestCancelled ? 'cancelled' : `error ${e.code}`),
            );
          if ((i + round) % 2 === 0) source.cancel();
          return p;
        });
        return withTimeout(Promise.all(pending), 60_000);
      };
      const first = await burst(0);
      assert.ok(
        first.every((o) => o === 'answered' || o === 'cancelled'),
        JSON.stringify(first),
      );
      const before = rssMb();
      for (let round = 1; round <= 3; round++) await burst(round);
      const after = rssMb();
      assert.ok(after - before < 40, `server memory grew from ${before.toFixed(0)} MB to ${after.toFixed(0)} MB over 150 requests`);
      // Nothing is left running: a fresh request is answered at once, and the model did run.
      const status = await withTimeout(server.request<Status & { lastCompletionMs: number | null }>('nanomind/status'), 2000);
      assert.ok(status.lastCompletionMs !== null);
    } finally {
      await server.stop();
    }
  });

  it('takes cursor notifications, good and bad, and edits, and keeps answering', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'test', 'fixtures', 'tiny-completion') });
    try {
      await server.initialize();
      const uri = 'file:///work/cursor.ts';
      await server.open(uri, 'typescript', readFileSync(path.join(repoRoot, 'demo', 'example.ts'), 'utf8'));
      for (const params of [
        { textDocument: { uri }, position: { line: 3, character: 1 } },
        { textDocument: { uri }, position: { line: 99999, character: 0 } },
        { textDocument: { uri: 'file:///not/open.ts' }, position: { line: 0, character: 0 } },
        { textDocument: { uri }, position: { line: -1, character: 'x' } },
        null,
        'nonsense',
      ]) {
        await server.notify('nanomind/cursor', params);
      }
      await server.notify('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: 'let typed = 1;\n' }],
      });
      const items = await withTimeout(
        server.request<unknown[]>('textDocument/inlineCompletion', { textDocument: { uri }, position: { line: 4, character: 0 }, context: { triggerKind: 2 } }),
        10_000,
      );
      assert.ok(Array.isArray(items));
      assert.equal(server.process.exitCode, null, 'the server is still running');
    } finally {
      await server.stop();
    }
  });
});

describe('server lifecycle', () => {
  it('shuts down and exits with code 0', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: emptyModelsDir() });
    await server.initialize();
    assert.equal(await server.request('shutdown'), null);
    await server.notify('exit');
    assert.equal(await withTimeout(server.exited, 5000), 0);
    server.connection.dispose();
  });
});
