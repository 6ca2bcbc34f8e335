// Nothing the server does reaches the network or writes outside the storage folder its client gives it (the
// extension's globalStorage, where it keeps optimized model graphs): a whole session
// (completions, hover, both puzzle families, then two minutes idle, when background telemetry would flush)
// runs under strace, and every network-related system call and every file the process creates is checked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startServer, withTimeout, type TestServer } from './client';

const IDLE_MS = Number(process.env.NANOMIND_NETWORK_IDLE_MS ?? 125_000);
const straceAvailable = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SUDOKU = ['53..7....', '6..195...', '.98....6.', '8...6...3', '4..8.3..1', '7...2...6', '.6....28.', '...419..5', '....8..79', ''].join('\n');
const MAZE = ['#######', '#S    #', '# ### #', '#   # #', '### # #', '#    G#', '#######', ''].join('\n');
const CODE = ['def total(prices):', '    result = 0', '    for price in prices:', '        ', ''].join('\n');

describe('privacy: no network, no stray files', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'nanomind-net-'));
  const home = path.join(scratch, 'home');
  const trace = path.join(scratch, 'strace.log');
  const storage = path.join(scratch, 'storage');
  let server: TestServer;
  let calls: string[] = [];

  before(async () => {
    assert.ok(straceAvailable, 'strace is not installed: run `npm run setup:test` (scripts/setup-e2e.sh installs it)');
    execFileSync('mkdir', ['-p', home]);
    // The child's environment is scrubbed of the flag, so the server itself must turn telemetry off.
    const env: Record<string, string> = { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), ORT_DISABLE_TELEMETRY: '' };
    server = startServer(env, ['strace', '-f', '-qq', '-o', trace, '-e', 'trace=%network,openat,creat,mkdir,mkdirat,rename,renameat,renameat2']);
    await server.initialize({ storagePath: storage });
    await server.open('file:///net/a.py', 'python', CODE);
    await server.open('file:///net/p.sudoku', 'sudoku', SUDOKU);
    await server.open('file:///net/m.maze', 'maze', MAZE);
    for (const character of [8, 8]) {
      await withTimeout(
        server.request('textDocument/inlineCompletion', {
          textDocument: { uri: 'file:///net/a.py' },
          position: { line: 3, character },
          context: { triggerKind: 1 },
        }),
        60_000,
      );
    }
    await server.request('textDocument/hover', { textDocument: { uri: 'file:///net/a.py' }, position: { line: 1, character: 4 } });
    for (const uri of ['file:///net/p.sudoku', 'file:///net/m.maze']) {
      await withTimeout(server.request('workspace/executeCommand', { command: 'nanomind.server.solvePuzzle', arguments: [{ uri }] }), 60_000);
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    await server.stop();
    calls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  });

  after(() => server?.process.kill('SIGKILL'));

  it('traced the session', () => {
    assert.ok(calls.length > 0, 'strace wrote nothing');
    assert.ok(
      calls.some((c) => /openat\(.*models\/manifest\.json/.test(c)),
      'the trace does not show the server reading its models',
    );
  });

  it('opens no internet socket and connects nowhere', () => {
    const sockets = calls.filter((c) => /\bsocket\((AF_INET|AF_INET6|AF_NETLINK|AF_PACKET)/.test(c));
    const connects = calls.filter((c) => /\bconnect\(/.test(c)); // a refused or failed attempt counts too
    const dns = calls.filter((c) => /sendto\(|sendmmsg\(/.test(c) && /htons\(53\)/.test(c));
    assert.deepEqual(sockets, [], 'internet sockets');
    assert.deepEqual(connects, [], 'connections');
    assert.deepEqual(dns, [], 'DNS queries');
  });

  it('creates no file or folder outside the process itself and its storage folder', () => {
    const writes = calls.filter(
      (c) =>
        (/\b(openat|creat)\(/.test(c) && /O_CREAT|O_WRONLY|O_RDWR/.test(c) && !/= -1/.test(c) && !/"\/dev\/|"\/proc\//.test(c)) ||
        (/\b(mkdir|mkdirat|rename|renameat2?)\(/.test(c) && !/= -1/.test(c)),
    );
    const inStorage = (c: string) => [...c.matchAll(/"([^"]*)"/g)].every((m) => m[1] === storage || m[1].startsWith(`${storage}/`));
    assert.deepEqual(
      writes.filter((c) => !inStorage(c)),
      [],
      'files written outside the storage folder',
    );
    assert.ok(
      writes.some((c) => /\.onnx"/.test(c)),
      'the optimized graphs were saved in the storage folder (this test would not see a write there otherwise)',
    );
    assert.deepEqual(readdirSync(home), [], `files under HOME: ${readdirSync(home).join(', ')}`);
  });
});
