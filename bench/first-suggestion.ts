// The session's first suggestion: the built server (dist/server.js) started over stdio as an editor starts
// it, and initialize, initialized, didOpen and an inline-completion request sent at once, as a user who types
// right after the window opens would. Measured from spawning the process to the first answer with a
// suggestion in it (an empty answer is asked again), with the server's own breakdown of its start-up (the
// `startup` field of nanomind/status: sha256 checks, tokenizer, ONNX sessions, self-test, the first encode,
// the syntax gate). Each run is a fresh process; the table shows medians.
// Goal (issue 14): the first suggestion <= 500 ms after activation on this CPU.
// Usage: npm run bench:first-suggestion [-- --runs N] [--models DIR] [--servers a/server.js,b/server.js] [--storage kept|none] [--out NAME]
// With --servers, the builds run in turns (A, B, A, B, ...) on the same document, for side-by-side numbers.
// Each build gets a storage folder (initializationOptions.storagePath, as the extension passes its globalStorage,
// and its code-cache folder in NANOMIND_CODE_CACHE, as client/src/ctx.ts does), empty before its first run and
// kept for the others: run 1 is the first start after installing, the others are every later start (optimized
// graphs and compiled code cached). --storage none passes no folder.
// Writes bench/results/first-suggestion.json (or NAME.json) and prints a table.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startupSteps, type ServerStatus, type StartupBreakdown } from '../server/src/protocol';
import { startServer } from '../test/lsp/client';
import { machineDescription, percentile } from './machine';

const root = path.resolve(__dirname, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 7);
const modelsDir = path.resolve(arg('--models') ?? path.join(root, 'models'));
const servers = (arg('--servers') ?? path.join(root, 'dist', 'server.js')).split(',').map((s) => path.resolve(s));
const outName = arg('--out') ?? 'first-suggestion';
const useStorage = (arg('--storage') ?? 'kept') !== 'none';
/** How long one run may take before it counts as failed. */
const runTimeoutMs = 60_000;

/** The end-to-end suite's first case (test/e2e/suite/index.js): a loop header the shipped model finishes. */
const typed = 'export function sumValues(values: number[]): number {\n  let total = 0;\n  for (let i = 0; i < values.length; ';
const documentText = `${readFileSync(path.join(root, 'demo', 'example.ts'), 'utf8')}\n${typed})\n}\n`;
const cursorOffset = documentText.lastIndexOf(typed) + typed.length;
const cursor = { line: documentText.slice(0, cursorOffset).split('\n').length - 1, character: typed.length - typed.lastIndexOf('\n') - 1 };

interface Run {
  server: string;
  /** Spawn -> the first answer with a suggestion. */
  firstSuggestionMs: number;
  /** Spawn -> the initialize answer. */
  initializeMs: number;
  /** Requests sent until one answered with a suggestion. */
  requests: number;
  suggestion: string;
  /** Files in the storage folder when the run started (0: the first start after installing). */
  storedFiles: number | null;
  /** The server's breakdown, ms since its process started. */
  startup: StartupBreakdown;
}

type InlineItems = { insertText: string | { value: string } }[] | { items: { insertText: string | { value: string } }[] } | null;

function firstText(answer: InlineItems): string {
  const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
  const t = items[0]?.insertText;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

async function oneRun(script: string, storagePath: string | undefined): Promise<Run> {
  const uri = 'file:///bench/example.ts';
  const storedFiles = storagePath ? readdirSync(storagePath, { recursive: true }).length : null;
  const spawned = performance.now();
  const codeCache: Record<string, string> = storagePath ? { NANOMIND_CODE_CACHE: path.join(storagePath, 'code-cache') } : {};
  const server = startServer({ NANOMIND_MODELS_DIR: modelsDir, ...codeCache }, [], script);
  try {
    // Everything at once: the server reads the messages in order; nothing waits for an answer.
    const initialized = server.connection
      .sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { storagePath } })
      .then(() => performance.now() - spawned);
    void server.notify('initialized', {});
    void server.open(uri, 'typescript', documentText);
    const deadline = spawned + runTimeoutMs;
    let requests = 0;
    let suggestion = '';
    while (!suggestion) {
      if (performance.now() > deadline) throw new Error(`no suggestion within ${runTimeoutMs} ms (${requests} requests)\n${server.stderr()}`);
      requests++;
      const answer = await server.request<InlineItems>('textDocument/inlineCompletion', {
        textDocument: { uri },
        position: cursor,
        context: { triggerKind: 1 },
      });
      suggestion = firstText(answer);
    }
    const firstSuggestionMs = performance.now() - spawned;
    const status = await server.request<ServerStatus>('nanomind/status');
    return { server: script, firstSuggestionMs, initializeMs: await initialized, requests, suggestion, storedFiles, startup: status.startup ?? {} };
  } finally {
    await server.stop();
  }
}

const round = (n: number) => Math.round(n);
const median = (values: number[]) => (values.length ? round(percentile(values, 50)) : null);

interface Summary {
  server: string;
  runs: number;
  firstSuggestionMedianMs: number | null;
  firstSuggestionMinMs: number | null;
  firstSuggestionMaxMs: number | null;
  /** Run 1 (an empty storage folder: the first start after installing) and the median of the others. */
  firstStartMs: number | null;
  laterStartsMedianMs: number | null;
  initializeMedianMs: number | null;
  /** Per start-up step: median start and end (ms since the server process started) and median duration. */
  steps: Record<string, { startMs: number | null; endMs: number | null; ms: number | null; count: number | null }>;
}

function summarize(script: string, rows: Run[]): Summary {
  const times = rows.map((r) => r.firstSuggestionMs);
  const steps: Summary['steps'] = {};
  for (const step of startupSteps) {
    const spans = rows.map((r) => r.startup[step]).filter((s) => s !== undefined);
    steps[step] = {
      startMs: median(spans.map((s) => s.startMs)),
      endMs: median(spans.map((s) => s.endMs)),
      ms: median(spans.map((s) => s.endMs - s.startMs)),
      count: median(spans.map((s) => s.count)),
    };
  }
  return {
    server: path.relative(root, script),
    runs: rows.length,
    firstSuggestionMedianMs: median(times),
    firstSuggestionMinMs: times.length ? round(Math.min(...times)) : null,
    firstSuggestionMaxMs: times.length ? round(Math.max(...times)) : null,
    firstStartMs: times.length ? round(times[0]) : null,
    laterStartsMedianMs: median(times.slice(1)),
    initializeMedianMs: median(rows.map((r) => r.initializeMs)),
    steps,
  };
}

async function main(): Promise<void> {
  const rows: Run[] = [];
  const storage = new Map(servers.map((s) => [s, useStorage ? mkdtempSync(path.join(tmpdir(), 'nanomind-storage-')) : undefined]));
  for (let i = 0; i < runs; i++) {
    for (const script of servers) {
      const r = await oneRun(script, storage.get(script));
      rows.push(r);
      console.log(
        `run ${i + 1}/${runs} ${path.relative(root, script)}: ${round(r.firstSuggestionMs)} ms, ${r.requests} request(s), ${JSON.stringify(r.suggestion)}`,
      );
    }
  }
  for (const dir of storage.values()) if (dir) rmSync(dir, { recursive: true, force: true });
  const summaries = servers.map((s) =>
    summarize(
      s,
      rows.filter((r) => r.server === s),
    ),
  );
  const fmt = (n: number | null) => (n === null ? '-' : String(n));
  for (const s of summaries) {
    console.log(
      `\n${s.server}: first suggestion ${fmt(s.firstSuggestionMedianMs)} ms median (${fmt(s.firstSuggestionMinMs)}-${fmt(s.firstSuggestionMaxMs)}) over ${s.runs} runs; ` +
        `first start ${fmt(s.firstStartMs)} ms, later starts ${fmt(s.laterStartsMedianMs)} ms median; spawn -> initialize answered ${fmt(s.initializeMedianMs)} ms`,
    );
    console.table(
      Object.fromEntries(
        Object.entries(s.steps)
          .filter(([, v]) => v.ms !== null)
          .map(([step, v]) => [step, { 'start ms': v.startMs, 'end ms': v.endMs, 'took ms': v.ms, pieces: v.count }]),
      ),
    );
  }
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    goalMs: 500,
    document: 'demo/example.ts + the e2e suite typed loop header, cursor after "values.length; "',
    summaries,
    runs: rows.map((r) => ({
      ...r,
      server: path.relative(root, r.server),
      firstSuggestionMs: round(r.firstSuggestionMs),
      initializeMs: round(r.initializeMs),
    })),
  };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  const out = path.join(root, 'bench', 'results', `${outName}.json`);
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nmachine: ${result.machine}\nwrote ${path.relative(root, out)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
