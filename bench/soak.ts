// The long run: the built server (dist/server.js) over stdio JSON-RPC, as an editor drives it, watched for
// memory growth, latency drift and errors.
//   soak: typing in a TypeScript file, one character per edit, an inline completion after each edit, a
//         hover every 10th and a status every 50th request, for 10,000 requests; RSS and latency per 1,000.
//   40 documents: 40 files opened, one completion in each; the server's RSS after.
//   10 MB document: 200 rounds of an edit and a completion in the middle of a 10 MB file; RSS growth.
// Goals (README): soak RSS <= +10% after the first 1,000 requests, p95 drift <= 10%, zero errors;
// 40 documents <= 500 MB RSS; the 10 MB document <= +50 MB over its 200 rounds.
// Usage: npm run bench:soak [-- --requests N] [--models DIR] [--only soak|documents|big] [--big-rounds N]
// (writes bench/results/soak.json; with --only, bench/results/soak-<part>.json holding that part alone)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startServer, type TestServer } from '../test/lsp/client';
import { machineDescription, percentile } from './machine';

const root = path.resolve(__dirname, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const totalRequests = Number(arg('--requests') ?? 10_000);
const modelsDir = path.resolve(arg('--models') ?? path.join(root, 'models'));
const blockSize = Math.min(1000, totalRequests);
const only = arg('--only');
if (only !== undefined && !['soak', 'documents', 'big'].includes(only)) throw new Error(`--only takes soak, documents or big, not ${only}`);
const bigRounds = Number(arg('--big-rounds') ?? 200);

/** The server's resident memory now, in MB (Linux /proc). */
function rssMb(server: TestServer): number {
  const status = readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** The server's own TypeScript sources: the text the soak types and the 40 documents it opens. */
const sources = readdirSync(path.join(root, 'server', 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => readFileSync(path.join(root, 'server', 'src', f), 'utf8'));

async function started(): Promise<TestServer> {
  const server = startServer({ NANOMIND_MODELS_DIR: modelsDir });
  await server.initialize();
  const status = await server.request<{ brains: { completion: { state: string; detail: string } } }>('nanomind/status');
  if (status.brains.completion.state !== 'ready') throw new Error(`completion is not ready in ${modelsDir}: ${status.brains.completion.detail}`);
  return server;
}

function complete(server: TestServer, uri: string, line: number, character: number): Promise<unknown> {
  return server.request('textDocument/inlineCompletion', { textDocument: { uri }, position: { line, character }, context: { triggerKind: 2 } });
}

/** Inserts `text` at (line, character) as an editor's incremental didChange. */
function insert(server: TestServer, uri: string, version: number, line: number, character: number, text: string): Promise<void> {
  const at = { line, character };
  return server.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start: at, end: at }, text }] });
}

interface Block {
  requests: number;
  rssMb: number;
  completionP50Ms: number;
  completionP95Ms: number;
  errors: number;
  /** The block's completion times (for the pooled drift; not written to the JSON). */
  latencies: number[];
}

async function soak(): Promise<Block[]> {
  const server = await started();
  const uri = 'file:///soak/typing.ts';
  // The document is the first half of one source file; the second half of another is typed at its end.
  const base = sources.find((s) => s.length > 8000)!;
  const start = base.slice(0, base.lastIndexOf('\n', base.length / 2) + 1);
  const script = sources
    .filter((s) => s !== base)
    .find((s) => s.length > 8000)!
    .slice(4000);
  let version = 1;
  await server.open(uri, 'typescript', start);
  const startLine = start.split('\n').length - 1;
  let line = startLine;
  let character = 0;
  let typed = 0;
  const blocks: Block[] = [];
  let latencies: number[] = [];
  let errors = 0;
  const timed = async (p: Promise<unknown>, record: boolean) => {
    const t = performance.now();
    try {
      await p;
      if (record) latencies.push(performance.now() - t);
    } catch (e) {
      errors++;
      console.error(`error: ${String((e as Error).message ?? e)}`);
    }
  };
  for (let n = 1; n <= totalRequests; n++) {
    if (n % 50 === 0) {
      await timed(server.request('nanomind/status'), false);
    } else if (n % 10 === 0) {
      await timed(server.request('textDocument/hover', { textDocument: { uri }, position: { line, character } }), false);
    } else {
      if (typed === script.length) {
        // The script is typed out: back to the document's first state (a whole-text change, as an undo-all).
        await server.notify('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: start }] });
        [line, character, typed] = [startLine, 0, 0];
      }
      const ch = script[typed++];
      await insert(server, uri, ++version, line, character, ch);
      if (ch === '\n') [line, character] = [line + 1, 0];
      else character++;
      await timed(complete(server, uri, line, character), true);
    }
    if (n % blockSize === 0) {
      blocks.push({
        requests: n,
        rssMb: rssMb(server),
        completionP50Ms: percentile(latencies, 50),
        completionP95Ms: percentile(latencies, 95),
        errors,
        latencies,
      });
      console.error(`soak: ${n} requests, RSS ${blocks.at(-1)!.rssMb.toFixed(0)} MB, p95 ${blocks.at(-1)!.completionP95Ms.toFixed(0)} ms`);
      latencies = [];
      errors = 0;
    }
  }
  await server.stop();
  return blocks;
}

async function manyDocuments(count: number): Promise<{ documents: number; rssStartMb: number; rssMb: number; errors: number }> {
  const server = await started();
  const rssStartMb = rssMb(server);
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const text = sources[i % sources.length];
    const uri = `file:///soak/doc${i}.ts`;
    await server.open(uri, 'typescript', text);
    const lines = text.split('\n');
    const line = Math.floor(lines.length / 2);
    await complete(server, uri, line, lines[line].length).catch(() => errors++);
  }
  const rss = rssMb(server);
  await server.stop();
  return { documents: count, rssStartMb, rssMb: rss, errors };
}

async function bigDocument(
  rounds: number,
): Promise<{ megabytes: number; rounds: number; rssFirstMb: number; rssPeakMb: number; rssMb: number; errors: number }> {
  const server = await started();
  let text = '';
  for (let i = 0; text.length < 10_000_000; i++) text += sources[i % sources.length];
  const uri = 'file:///soak/big.ts';
  await server.open(uri, 'typescript', text);
  const middle = Math.floor(text.split('\n').length / 2);
  let errors = 0;
  let rssFirstMb = 0;
  let rssPeakMb = 0;
  // RSS is read after a pause like a user's (the server collects old copies of the text once typing stops:
  // runtime/idleCollector.ts), and between rounds without one, for the peak while typing.
  const settled = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return rssMb(server);
  };
  for (let r = 0; r < rounds; r++) {
    await insert(server, uri, r + 2, middle, 0, r % 20 === 19 ? '\n' : 'x');
    await complete(server, uri, middle, 1).catch(() => errors++);
    rssPeakMb = Math.max(rssPeakMb, rssMb(server));
    if (r === 0) rssFirstMb = await settled();
  }
  const rss = await settled();
  await server.stop();
  return { megabytes: text.length / 1e6, rounds, rssFirstMb, rssPeakMb, rssMb: rss, errors };
}

/** One part alone (--only): its numbers printed and written to bench/results/soak-<part>.json. */
async function part(name: string): Promise<void> {
  const result =
    name === 'soak'
      ? { soak: (await soak()).map(({ latencies: _, ...b }) => b) }
      : name === 'documents'
        ? { documents: await manyDocuments(40) }
        : { bigDocument: await bigDocument(bigRounds) };
  const out = { machine: machineDescription(), date: new Date().toISOString(), models: modelsDir, ...result };
  writeResult(`soak-${name}.json`, out);
  console.log(JSON.stringify(out, null, 2));
}

function writeResult(file: string, result: object): void {
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', file), JSON.stringify(result, null, 2) + '\n');
}

async function main(): Promise<void> {
  if (only) return part(only);
  const blocks = await soak();
  const documents = await manyDocuments(40);
  const big = await bigDocument(bigRounds);
  // Warm-up: the first block (models loaded, caches filled). RSS is compared with its end. p95 drift: the p95 of
  // the first three warm blocks' completions together against the last three's, so that one block's content or
  // a moment of load on the machine does not decide it (per-block p95 is in the table).
  const warm = blocks[0];
  const last = blocks[blocks.length - 1];
  const pooled = (bs: Block[]) =>
    percentile(
      bs.flatMap((b) => b.latencies),
      95,
    );
  const span = Math.max(1, Math.min(3, Math.floor((blocks.length - 1) / 2)));
  const early = blocks.slice(1, 1 + span);
  const late = blocks.slice(-span);
  const summary = {
    rssGrowthAfterWarmUp: last.rssMb / warm.rssMb - 1,
    p95Drift: pooled(late) / pooled(early.length ? early : blocks) - 1,
    p95EarlyMs: pooled(early.length ? early : blocks),
    p95LateMs: pooled(late),
    errors: blocks.reduce((n, b) => n + b.errors, 0) + documents.errors + big.errors,
  };
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: modelsDir,
    requests: totalRequests,
    soak: blocks.map(({ latencies: _, ...b }) => b),
    summary,
    documents,
    bigDocument: big,
  };
  writeResult('soak.json', result);
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  console.log(`machine: ${result.machine}`);
  console.log('| requests | RSS MB | completion p50 / p95 ms | errors |');
  console.log('|---|---|---|---|');
  for (const b of blocks)
    console.log(`| ${b.requests} | ${b.rssMb.toFixed(0)} | ${b.completionP50Ms.toFixed(0)} / ${b.completionP95Ms.toFixed(0)} | ${b.errors} |`);
  console.log(
    `soak after the first ${warm.requests} requests: RSS ${pct(summary.rssGrowthAfterWarmUp)} (goal <= +10%), p95 ${summary.p95EarlyMs.toFixed(0)} -> ${summary.p95LateMs.toFixed(0)} ms (${pct(summary.p95Drift)}) from the first three warm blocks to the last three (goal <= +10%), errors ${summary.errors} (goal 0)`,
  );
  console.log(`40 documents with a completion each: RSS ${documents.rssMb.toFixed(0)} MB (goal <= 500 MB; ${documents.rssStartMb.toFixed(0)} MB at start)`);
  console.log(
    `${big.megabytes.toFixed(1)} MB document, ${big.rounds} edit + completion rounds: RSS ${big.rssFirstMb.toFixed(0)} -> ${big.rssMb.toFixed(0)} MB after a pause (${(big.rssMb - big.rssFirstMb).toFixed(0)} MB; goal <= +50 MB), peak while typing ${big.rssPeakMb.toFixed(0)} MB`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
