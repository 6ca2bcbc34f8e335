// A small LSP client for protocol tests: starts the built server (dist/server.js) as a child
// process over stdio and speaks real JSON-RPC to it, as Neovim or Helix would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { allocatorEnv } from '../../server/src/runtime/allocator';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface TestServer {
  connection: MessageConnection;
  process: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  request<R>(method: string, params?: unknown, token?: CancellationTokenSource): Promise<R>;
  notify(method: string, params?: unknown): Promise<void>;
  initialize(initializationOptions?: unknown): Promise<InitializeResultShape>;
  open(uri: string, languageId: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

export interface InitializeResultShape {
  capabilities: Record<string, unknown> & { executeCommandProvider?: { commands: string[] } };
  serverInfo?: { name: string; version?: string };
}

/**
 * Starts dist/server.js (or another build of it, `script`) over stdio; `wrapper` runs it under another program
 * (e.g. strace and its flags).
 */
export function startServer(env: Record<string, string> = {}, wrapper: string[] = [], script = path.join(repoRoot, 'dist', 'server.js')): TestServer {
  const command = [...wrapper, process.execPath, script, '--stdio'];
  const child = spawn(command[0], command.slice(1), {
    // The allocator settings the extension's client starts the server with (server/src/runtime/allocator.ts).
    env: { ...process.env, ...allocatorEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  const server: TestServer = {
    connection,
    process: child,
    stderr: () => err,
    exited,
    // No params are sent as none (vscode-jsonrpc would send `[null]` for an undefined argument).
    request: (method, params, source) => {
      const args: unknown[] = params === undefined ? [] : [params];
      return source ? connection.sendRequest(method, ...args, source.token) : connection.sendRequest(method, ...args);
    },
    notify: (method, params) => connection.sendNotification(method, params),
    async initialize(initializationOptions) {
      const result = await connection.sendRequest<InitializeResultShape>('initialize', {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions,
      });
      await connection.sendNotification('initialized', {});
      return result;
    },
    open: (uri, languageId, text) => connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } }),
    async stop() {
      if (child.exitCode === null) {
        try {
          await withTimeout(connection.sendRequest('shutdown'), 2000);
          await connection.sendNotification('exit');
          await withTimeout(exited, 2000);
        } catch {
          child.kill('SIGKILL');
        }
      }
      connection.dispose();
    },
  };
  return server;
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export { CancellationTokenSource };

/**
 * A models folder whose manifest is `source`'s with every file path made absolute (so the files stay where
 * they are), changed by `edit`; `files` are written into the new folder first.
 */
export function editedModelsDir(source: string, edit: (manifest: ManifestShape, dir: string) => void, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
  const manifest = JSON.parse(readFileSync(path.join(source, 'manifest.json'), 'utf8')) as ManifestShape;
  for (const brain of Object.values(manifest.brains)) {
    for (const f of Object.values(brain.files)) f.file = path.resolve(source, f.file);
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  edit(manifest, dir);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

export interface ManifestShape {
  brains: Record<string, { files: Record<string, { file: string; sha256: string }>; spec?: Record<string, number> }>;
}
