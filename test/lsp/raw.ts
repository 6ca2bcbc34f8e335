// The built server over raw stdio: the test writes exact bytes (malformed frames, `params: null`, which
// vscode-jsonrpc's client API cannot send) and reads the framed responses back.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './client';

export interface RawMessage {
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface RawServer {
  process: ChildProcess;
  messages: RawMessage[];
  stderr: () => string;
  exited: Promise<number | null>;
  write(bytes: string | Buffer): void;
  send(message: object): void;
  /** Sends a request and resolves with its response (rejects after `ms`). */
  request(id: number, method: string, params?: unknown, ms?: number): Promise<RawMessage>;
  kill(): void;
}

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

export function startRawServer(env: Record<string, string>): RawServer {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'server.js'), '--stdio'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d.toString()));
  // The server frames correctly; this reader only needs to split its output.
  let pending = Buffer.alloc(0);
  const messages: RawMessage[] = [];
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) break;
      const length = Number(/Content-Length: (\d+)/i.exec(pending.subarray(0, end).toString('ascii'))![1]);
      if (pending.length < end + 4 + length) break;
      messages.push(JSON.parse(pending.subarray(end + 4, end + 4 + length).toString('utf8')) as RawMessage);
      pending = pending.subarray(end + 4 + length);
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stdin!.on('error', () => undefined); // the server may exit first on purpose
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const server: RawServer = {
    process: child,
    messages,
    stderr: () => err,
    exited,
    write: (bytes) => void child.stdin!.write(bytes),
    send: (message) => server.write(frame(JSON.stringify({ jsonrpc: '2.0', ...message }))),
    request(id, method, params, ms = 10_000) {
      server.send(params === undefined ? { id, method } : { id, method, params });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response to ${method} (id ${id}) in ${ms} ms`)), ms);
        const check = () => {
          const found = messages.find((m) => m.id === id && m.method === undefined);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
    kill: () => void child.kill('SIGKILL'),
  };
  return server;
}

export const initializeParams = { processId: null, rootUri: null, capabilities: {} };
