// Each brain (and each puzzle family of reasoning) fails alone, with its reason in the status and the
// log: a corrupt maze model leaves Sudoku solving, a tokenizer that does not parse or a model that
// loads but cannot run turns completion off instead of failing every request with an internal error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { editedModelsDir, repoRoot, startServer, type TestServer } from './client';

interface Status {
  brains: Record<string, { state: string; detail: string }>;
}

const shipped = path.join(repoRoot, 'models');
const tiny = path.join(repoRoot, 'test', 'fixtures', 'tiny-completion');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Polls the status until `done` holds for it (start-up checks run in the background). */
async function statusWhen(server: TestServer, done: (s: Status) => boolean): Promise<Status> {
  let status = await server.request<Status>('nanomind/status');
  for (let i = 0; i < 100 && !done(status); i++) {
    await new Promise((r) => setTimeout(r, 50));
    status = await server.request<Status>('nanomind/status');
  }
  return status;
}

function logged(server: TestServer): string[] {
  const lines: string[] = [];
  server.connection.onNotification('window/logMessage', (m: { message: string }) => void lines.push(m.message));
  return lines;
}

describe('each brain fails alone, with its reason', () => {
  it('corrupt maze models turn off mazes only: Sudoku still solves, the status names the maze file', async () => {
    // Both maze networks (the HRM and the conv model: either one alone still solves mazes, see test/unit/convMaze.test.ts).
    const dir = editedModelsDir(shipped, (m) => {
      m.brains.reasoning.files.maze.sha256 = '0'.repeat(64);
      if (m.brains.reasoning.files.mazeConv) m.brains.reasoning.files.mazeConv.sha256 = '0'.repeat(64);
    });
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    const log = logged(server);
    try {
      await server.initialize();
      // The two maze files are checked one after the other in the background (the one not hashed yet is "being
      // checked"): wait until both have been found corrupt.
      const status = await statusWhen(server, (s) => s.brains.reasoning.state !== 'ready' && !/being checked|mazeConv works/.test(s.brains.reasoning.detail));
      assert.equal(status.brains.reasoning.state, 'corrupt');
      assert.match(status.brains.reasoning.detail, /^maze off: models\/.*hrm-maze\.onnx is corrupt: sha256 .*; sudoku works$/);
      const solve = async (uri: string, language: string, file: string) => {
        await server.open(uri, language, readFileSync(path.join(repoRoot, 'demo', file), 'utf8'));
        return server.request<{ outcome: string; unavailable?: string }>('workspace/executeCommand', {
          command: 'nanomind.server.solvePuzzle',
          arguments: [{ uri }],
        });
      };
      assert.equal((await solve('file:///d.sudoku', 'sudoku', 'example.sudoku')).outcome, 'verified');
      const maze = await solve('file:///d.maze', 'maze', 'example.maze');
      assert.equal(maze.outcome, 'unavailable');
      assert.match(maze.unavailable!, /hrm-maze\.onnx is corrupt/);
      assert.ok(
        log.some((l) => /reasoning: cannot run \(corrupt\): maze off/.test(l)),
        log.join('\n'),
      );
    } finally {
      await server.stop();
    }
  });

  it('a corrupt conv maze model turns off only itself: reasoning stays ready, says why, and both families solve', async () => {
    const dir = editedModelsDir(shipped, (m) => (m.brains.reasoning.files.mazeConv.sha256 = '0'.repeat(64)));
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    try {
      await server.initialize();
      // The start-up check (main.ts, registry.verify) hashes every file and finds it.
      const status = await statusWhen(server, (s) => /mazeConv off/.test(s.brains.reasoning.detail));
      assert.equal(status.brains.reasoning.state, 'ready', status.brains.reasoning.detail);
      assert.match(status.brains.reasoning.detail, /^mazeConv off: models\/.*hrm-maze-conv\.onnx is corrupt: sha256 .*; sudoku, maze works$/);
      const solve = async (uri: string, language: string, file: string) => {
        await server.open(uri, language, readFileSync(path.join(repoRoot, 'demo', file), 'utf8'));
        return server.request<{ outcome: string; network?: string; note?: string }>('workspace/executeCommand', {
          command: 'nanomind.server.solvePuzzle',
          arguments: [{ uri }],
        });
      };
      assert.equal((await solve('file:///d.sudoku', 'sudoku', 'example.sudoku')).outcome, 'verified');
      const maze = await solve('file:///d.maze', 'maze', 'example.maze');
      assert.equal(maze.network, 'hrm');
      assert.notEqual(maze.outcome, 'unavailable');
      assert.match(maze.note ?? '', /^conv maze model off: models\/.*hrm-maze-conv\.onnx is corrupt/);
    } finally {
      await server.stop();
    }
  });

  it('a tokenizer whose sha256 matches but that does not parse: completion cannot run, and says why', async () => {
    const garbage = '{"model": {"type": "nonsense"}}';
    const dir = editedModelsDir(tiny, (m, d) => (m.brains.completion.files.tokenizer = { file: path.join(d, 'tokenizer.json'), sha256: sha(garbage) }), {
      'tokenizer.json': garbage,
    });
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    const log = logged(server);
    try {
      await server.initialize();
      const status = await statusWhen(server, (s) => s.brains.completion.state !== 'ready');
      assert.equal(status.brains.completion.state, 'corrupt');
      assert.match(status.brains.completion.detail, /tokenizer models\/tokenizer\.json: /);
      await server.open('file:///t.ts', 'typescript', 'const x = 1;\n\n');
      const items = await server.request('textDocument/inlineCompletion', {
        textDocument: { uri: 'file:///t.ts' },
        position: { line: 1, character: 0 },
        context: { triggerKind: 2 },
      });
      assert.deepEqual(items, [], 'no suggestion, and no internal error');
      await statusWhen(server, () => log.some((l) => /completion: cannot run/.test(l)));
      assert.ok(
        log.some((l) => /completion: cannot run \(corrupt\): tokenizer/.test(l)),
        log.join('\n'),
      );
    } finally {
      await server.stop();
    }
  });

  it("a completion model that loads but cannot run (its shapes are not the manifest's) is found at start", async () => {
    const dir = editedModelsDir(tiny, (m) => (m.brains.completion.spec!.nHead = 3));
    const server = startServer({ NANOMIND_MODELS_DIR: dir });
    const log = logged(server);
    try {
      await server.initialize();
      const status = await statusWhen(server, (s) => s.brains.completion.state !== 'ready');
      assert.equal(status.brains.completion.state, 'error');
      assert.match(status.brains.completion.detail, /^the completion model cannot run: .*(dimension|shape)/i);
      await statusWhen(server, () => log.some((l) => /completion: cannot run/.test(l)));
      assert.ok(
        log.some((l) => /completion: cannot run \(error\)/.test(l)),
        log.join('\n'),
      );
    } finally {
      await server.stop();
    }
  });
});
