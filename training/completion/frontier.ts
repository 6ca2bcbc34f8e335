// Latency frontier: candidate model shapes timed through the server's own completion code, side by side.
//   node --import tsx training/completion/frontier.ts DIR... [--limit N] [--kinds single_line,multi_line] [--out FILE]
// Each DIR is a models folder (training/completion/frontier.py writes one per shape, grown from the shipped model so
// that every shape decodes the same answers in the same passes). For each held-out case, every folder is asked in
// turn (interleaved, so the shared CPU's load falls on all shapes alike) the three requests bench/completion.ts
// times: cold (a document never seen), warm (the same request again, context memory kept) and after Enter (the
// typing flow: the line above typed, Enter, the client's debounce, then the request). Prints p50 / p95 per shape
// and the share of answers equal to the first folder's (the growth is exact up to int8 rounding).
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { changeEnd, CompletionBrain } from '../../server/src/completion';
import { defaultSettings } from '../../server/src/protocol';
import { ModelRegistry } from '../../server/src/runtime/models';
import { machineDescription, percentile } from '../../bench/machine';

interface Case {
  id: string;
  language: string;
  kind: 'single_line' | 'multi_line';
  prefix: string;
  suffix: string;
}

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dirs = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const limit = Number(option('--limit') ?? 120);
const kinds = (option('--kinds') ?? 'single_line').split(',');
const debounceMs = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default: number }> } } }
).contributes.configuration.properties['nanomind.completion.debounceMs'].default;
const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
const settings = { ...defaultSettings.completion, decoder: 'diffusion' as const };

function loadCases(): Case[] {
  const lines = gunzipSync(readFileSync(path.join(root, 'bench', 'data', 'infill-heldout.jsonl.gz'))).toString('utf8').split('\n').filter(Boolean);
  const cases = lines.map((l) => JSON.parse(l) as Case).filter((c) => kinds.includes(c.kind));
  cases.sort((a, b) => a.id.localeCompare(b.id));
  const step = cases.length / Math.min(limit, cases.length);
  return Array.from({ length: Math.min(limit, cases.length) }, (_, i) => cases[Math.floor(i * step)]);
}

const text = (out: { items: { insertText?: unknown }[] }) => (out.items[0]?.insertText as string | undefined) ?? '';

/** Cold, warm and after-Enter times of one case on one brain (bench/completion.ts runSystem + typingFlow). */
async function timeCase(brain: CompletionBrain, tag: string, c: Case) {
  const doc = TextDocument.create(`file:///frontier/${tag}/${c.id}`, c.language, 1, c.prefix + c.suffix);
  const opts = { mode: c.kind };
  let t = performance.now();
  const cold = await brain.complete(doc, doc.positionAt(c.prefix.length), settings, token, opts);
  const coldMs = performance.now() - t;
  brain.clearSuggestions();
  t = performance.now();
  await brain.complete(doc, doc.positionAt(c.prefix.length), settings, token, opts);
  const warmMs = performance.now() - t;
  brain.forget(doc.uri);
  let enterMs: number | null = null;
  if (c.prefix.endsWith('\n')) {
    const uri = `file:///frontier/${tag}/${c.id}/typing`;
    const before = TextDocument.create(uri, c.language, 1, c.prefix.slice(0, -1) + c.suffix);
    brain.prepare(before, settings);
    await brain.complete(before, before.positionAt(c.prefix.length - 1), settings, token, { mode: 'single_line' });
    const enter = { range: { start: before.positionAt(c.prefix.length - 1), end: before.positionAt(c.prefix.length - 1) }, text: '\n' };
    const after = TextDocument.update(TextDocument.create(uri, c.language, 1, before.getText()), [enter], 2);
    brain.prepare(after, settings, changeEnd(after, [enter]));
    await new Promise((r) => setTimeout(r, debounceMs));
    t = performance.now();
    await brain.complete(after, after.positionAt(c.prefix.length), settings, token, opts);
    enterMs = performance.now() - t;
    brain.forget(uri);
  }
  return { coldMs, warmMs, enterMs, answer: text(cold), forwards: cold.forwards };
}

async function main(): Promise<void> {
  if (dirs.length === 0) throw new Error('usage: frontier.ts DIR... [--limit N] [--kinds single_line,multi_line] [--out FILE]');
  const brains = dirs.map((d) => new CompletionBrain(new ModelRegistry(path.resolve(d))));
  const cases = loadCases();
  const rows = dirs.map(() => ({ cold: [] as number[], warm: [] as number[], enter: [] as number[], same: 0, forwards: 0 }));
  // One untimed case per brain first: sessions are created on first use.
  for (const [i, b] of brains.entries()) await timeCase(b, `warmup${i}`, cases[0]);
  for (const c of cases) {
    let first = '';
    for (const [i, b] of brains.entries()) {
      const r = await timeCase(b, String(i), c);
      if (i === 0) first = r.answer;
      rows[i].cold.push(r.coldMs);
      rows[i].warm.push(r.warmMs);
      if (r.enterMs !== null) rows[i].enter.push(r.enterMs);
      rows[i].same += r.answer === first ? 1 : 0;
      rows[i].forwards += r.forwards;
    }
  }
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    cases: cases.length,
    kinds,
    shapes: Object.fromEntries(
      dirs.map((d, i) => {
        const r = rows[i];
        const p = (xs: number[]) => ({ p50_ms: percentile(xs, 50), p95_ms: percentile(xs, 95) });
        return [path.basename(d), { cold: p(r.cold), warm: p(r.warm), after_enter: p(r.enter), same_answer: r.same / cases.length, forwards_per_case: r.forwards / cases.length }];
      }),
    ),
  };
  console.log(`machine: ${result.machine}; ${cases.length} ${kinds.join('+')} cases, interleaved`);
  console.log('| shape | warm p50 / p95 ms | after Enter p50 / p95 ms | cold p50 / p95 ms | passes per case | same answer as the first |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, s] of Object.entries(result.shapes)) {
    const f = (x: { p50_ms: number; p95_ms: number }) => `${x.p50_ms.toFixed(0)} / ${x.p95_ms.toFixed(0)}`;
    console.log(`| ${name} | ${f(s.warm)} | ${f(s.after_enter)} | ${f(s.cold)} | ${s.forwards_per_case.toFixed(1)} | ${(100 * s.same_answer).toFixed(0)}% |`);
  }
  const out = option('--out');
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
