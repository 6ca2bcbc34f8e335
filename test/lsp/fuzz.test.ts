// A bounded, seeded fuzz of every method the server handles, over raw stdio with the tiny completion model:
// valid params with fields replaced by nulls, wrong types, huge numbers, negative positions, huge and
// binary strings, or left out, and params that are not objects at all. It asserts no crash (the process
// stays up and answers a status at the end), no hang (every request answered within a timeout) and no
// internal error: every bad request gets an LSP error that says what is wrong.
// Ignored by design (a notification cannot be answered): a malformed didOpen, didChange or didClose (the
// document is left as it was, the reason logged), a nanomind/cursor that is not a usable cursor (logged),
// and didChangeConfiguration settings of the wrong type (each falls back to its default, server/src/settings.ts).
// A request the server cannot serve as asked but that is well-formed gets an empty answer (a position past
// the end, a document in a language without completions). NANOMIND_FUZZ_SEED and NANOMIND_FUZZ_CASES
// replay or widen a run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { repoRoot } from './client';
import { initializeParams, startRawServer, type RawMessage } from './raw';

const seed = Number(process.env.NANOMIND_FUZZ_SEED ?? 20261205);
const cases = Number(process.env.NANOMIND_FUZZ_CASES ?? 3000);
/** Errors a bad request may get: invalid params, invalid request (e.g. a second initialize), a failed solve, a cancelled request. */
const allowedErrors = new Set([-32602, -32600, -32803, -32800]);

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const LEAVE_OUT = Symbol('leave out');

function binaryString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 0x10000)); // lone surrogates and NULs included
  return s;
}

/** A value of the wrong kind, or an extreme one. */
function oddValue(): unknown {
  return pick<() => unknown>([
    () => null,
    () => LEAVE_OUT,
    () => true,
    () => -1,
    () => -(2 ** 31),
    () => 1e308,
    () => 2 ** 53 + 1,
    () => 1.5,
    () => '',
    () => 'not a uri',
    () => 'x'.repeat(200_000),
    () => binaryString(64),
    () => [],
    () => [1, 'two', null],
    () => ({}),
    () => ({ line: -5, character: 'x' }),
    () => ({ nested: { deeper: [null, {}] } }),
  ])();
}

/** Replaces one field somewhere in `value` (a copy) by an odd value, or leaves it out. */
function mutate(value: unknown): unknown {
  if (rand() < 0.08) return oddValue();
  if (typeof value !== 'object' || value === null) return value;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string, unknown>;
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = pick(keys);
  const deeper = typeof copy[key] === 'object' && copy[key] !== null && rand() < 0.6;
  const next = deeper ? mutate(copy[key]) : oddValue();
  if (next === LEAVE_OUT) delete copy[key];
  else copy[key] = next;
  return copy;
}

const uris = ['file:///fuzz/a.ts', 'file:///fuzz/b.py', 'file:///fuzz/p.sudoku', 'file:///fuzz/not-open.ts'];
const texts: Record<string, [string, string]> = {
  [uris[0]]: ['typescript', 'export function add(a: number, b: number) {\n  return a + b;\n}\n\nconst total = \n'],
  [uris[1]]: ['python', 'def f(x):\n    return x * 2\n\n'],
  [uris[2]]: ['sudoku', '53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n...419..5\n....8..79\n'],
};
const position = () => ({ line: Math.floor(rand() * 6), character: Math.floor(rand() * 20) });
const docId = () => ({ uri: pick(uris) });

/** Valid params for each method; the fuzz mutates them. */
const requests: Record<string, () => unknown> = {
  initialize: () => initializeParams,
  'textDocument/inlineCompletion': () => ({ textDocument: docId(), position: position(), context: { triggerKind: 2 } }),
  'textDocument/hover': () => ({ textDocument: docId(), position: position() }),
  'workspace/executeCommand': () => ({ command: 'nanomind.server.solvePuzzle', arguments: [{ uri: pick(uris), exact: rand() < 0.5 }] }),
  'nanomind/status': () => ({}),
  'nanomind/memoryMap': () => ({ uri: pick(uris), position: position() }),
};
const notifications: Record<string, () => unknown> = {
  'textDocument/didOpen': () => {
    const uri = pick(uris);
    const [languageId, text] = texts[uri] ?? ['typescript', 'let x = 1;\n'];
    return { textDocument: { uri, languageId, version: 1, text } };
  },
  'textDocument/didChange': () => ({
    textDocument: { uri: pick(uris), version: Math.floor(rand() * 1000) },
    contentChanges: [{ range: { start: position(), end: position() }, text: pick(['x', '\n', '  ', ')', '']) }],
  }),
  'textDocument/didClose': () => ({ textDocument: docId() }),
  'nanomind/cursor': () => ({ textDocument: docId(), position: position() }),
  'workspace/didChangeConfiguration': () => ({
    settings: {
      nanomind: { completion: { enabled: true, maxTokens: 8, maxContextTokens: pick([64, 512, 2048, 8192]), threshold: 0.5 }, memory: { budget: 0.5 } },
    },
  }),
};

describe('fuzz: every method with malformed params', () => {
  it(`${cases} seeded cases (seed ${seed}): no crash, no hang, no internal error`, async () => {
    const s = startRawServer({ NANOMIND_MODELS_DIR: path.join(repoRoot, 'test', 'fixtures', 'tiny-completion') });
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    try {
      assert.ok((await s.request(0, 'initialize', initializeParams)).result);
      s.send({ method: 'initialized', params: {} });
      for (const uri of uris.slice(0, 3))
        s.send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: texts[uri][0], version: 1, text: texts[uri][1] } } });
      for (let id = 1; id <= cases; id++) {
        const isRequest = rand() < 0.6;
        const method = pick(Object.keys(isRequest ? requests : notifications));
        const valid = (isRequest ? requests : notifications)[method]();
        const roll = rand();
        const params = roll < 0.15 ? valid : roll < 0.2 ? LEAVE_OUT : mutate(valid);
        const replay = `case ${id} (seed ${seed}): ${method} ${JSON.stringify(params === LEAVE_OUT ? '(no params)' : params)?.slice(0, 300)}`;
        if (!isRequest) {
          s.send(params === LEAVE_OUT ? { method } : { method, params });
          count(`${method}: sent`);
          continue;
        }
        let response: RawMessage;
        try {
          response = await s.request(id, method, params === LEAVE_OUT ? undefined : params, 20_000);
        } catch (e) {
          assert.fail(`hang: ${(e as Error).message}; ${replay}`);
        }
        if (response.error) {
          assert.ok(allowedErrors.has(response.error.code), `error ${response.error.code} "${response.error.message}"; ${replay}`);
          count(`${method}: error ${response.error.code}`);
        } else {
          count(`${method}: answered`);
        }
      }
      // Still serving, not crashed: a fresh request is answered at once.
      const status = await s.request(cases + 1, 'nanomind/status', undefined, 5_000);
      assert.ok(status.result, JSON.stringify(status.error));
      assert.equal(s.process.exitCode, null, `the server exited: ${s.stderr().slice(-2000)}`);
      assert.equal((await s.request(cases + 2, 'shutdown', undefined, 5_000)).error, undefined);
      s.send({ method: 'exit' });
      assert.equal(await s.exited, 0);
    } finally {
      s.kill();
      // What the run exercised, for the test log.
      console.log(
        [...outcomes]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join('\n'),
      );
    }
  });
});
