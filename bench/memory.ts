// Benchmark: the memory brain on long-context infill from HELD-OUT packages (training/data/python_holdout.txt:
// the Python modules and packages held out of the corpus; the JavaScript/TypeScript held-out packages are not
// installed on this machine). Each case is a line at least 2k tokens into a file, read with a long context;
// through the server's own memory (memory/documentMemory.ts: progressive eviction after each encode call,
// positions closed up) and graphs, each eviction method runs at kept fractions 0.5, 0.33, 0.25 (and NAMM also at
// its own threshold); quality = the true span's mean log-probability in one denoise pass (every slot masked),
// normalized to the full memory per case: exp(LL - LL_full), mean with a bootstrap 95% CI.
// Also: NAMM reading the whole context vs today's 512-token window at the same kept size (quality, latency),
// and the tokens NAMM dropped by lexer class.
// Usage: npm run bench:memory [-- --cases 24 --context 3072 --seed 1]  → bench/results/memory.json
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { CompletionBrain } from '../server/src/completion';
import type { DiffusionModel } from '../server/src/completion/diffusion';
import { DocumentMemory, type EvictionPolicy, type LiveTokens } from '../server/src/memory/documentMemory';
import { CharClass } from '../server/src/memory/lexer';
import { nammPolicy } from '../server/src/memory/policy';
import { Scorer } from '../server/src/memory/scorer';
import { ModelRegistry } from '../server/src/runtime/models';
import { casesFromFile, random, type MemoryCase } from './memoryCases';
import { machineDescription } from './machine';

const root = path.resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const nCases = Number(arg('--cases', '24'));
const contextTokens = Number(arg('--context', '3072'));
const seed = Number(arg('--seed', '1'));
const fractions = [0.5, 0.33, 0.25];
const methods = ['namm', 'truncation', 'random', 'stripper', 'h2o'] as const;
type Method = (typeof methods)[number];
const windowTokens = 512;
const never = () => false;

function heldOutFiles(): { file: string; id: string }[] {
  const std = process.env.NAMM_STDLIB ?? '/root/.pyenv/versions/3.11.7/lib/python3.11';
  const held = readFileSync(path.join(root, 'training/data/python_holdout.txt'), 'utf8')
    .split('\n')
    .filter((l) => /^(stdlib|site):/.test(l));
  const files: { file: string; id: string }[] = [];
  const walk = (dir: string, id: string) => {
    for (const f of readdirSync(dir).sort()) {
      const full = path.join(dir, f);
      const st = statSync(full);
      if (st.isDirectory() && !/^(tests?|__pycache__)$/.test(f)) walk(full, `${id}/${f}`);
      else if (f.endsWith('.py') && st.size >= 20_000) files.push({ file: full, id: `${id}/${f}` });
    }
  };
  for (const h of held) {
    const [kind, name] = h.split(':');
    const base = kind === 'stdlib' ? std : path.join(std, 'site-packages');
    const dir = path.join(base, kind === 'stdlib' ? name : name.toLowerCase());
    const st = statSync(dir, { throwIfNoEntry: false }) ?? statSync(dir + '.py', { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(dir, h);
    else if (st.size >= 20_000) files.push({ file: dir + '.py', id: h });
  }
  return files;
}

function policyFor(method: Method, budget: number, c: MemoryCase, scorer: Scorer, rand: () => number): EvictionPolicy {
  // Baselines keep by their own score under the cap: scores >= 0 (nothing is evicted for a negative score).
  const P = c.prefixIds.length;
  const index = (pos: number) => (pos < P ? pos : P + (pos - (P + 64)));
  const near = (l: LiveTokens) => Float64Array.from(l.positions, (p) => 1e6 - Math.abs(p - l.anchor));
  switch (method) {
    case 'namm':
      return nammPolicy(scorer, budget);
    case 'truncation':
      return { key: `trunc:${budget}`, budget, score: near };
    case 'random':
      return { key: `random:${budget}`, budget, score: (l) => Float64Array.from(l.positions, () => rand()) };
    case 'h2o':
      return { key: `h2o:${budget}`, budget, score: (l) => Float64Array.from(l.received) };
    case 'stripper':
      return { key: `strip:${budget}`, budget, score: (l) => near(l).map((s, i) => (c.strippable[index(l.positions[i])] ? -1 : s)) };
  }
}

interface Run {
  ll: number;
  kept: number;
  read: number;
  encodeMs: number;
  passMs: number;
  droppedIndex: number[];
}

async function run(
  model: DiffusionModel,
  c: MemoryCase,
  policy: EvictionPolicy | null,
  prefixIds = c.prefixIds,
  suffixIds = c.suffixIds,
  mask = 2,
  eos = 1,
): Promise<Run> {
  const memory = new DocumentMemory(endsLine);
  let t = performance.now();
  const kv = (await model.encodeContext(memory, prefixIds, suffixIds, never, policy))!;
  const encodeMs = performance.now() - t;
  const C = [8, 16, 32, 64].find((n) => n >= c.middleIds.length + 1)!;
  const target = [...c.middleIds, eos];
  t = performance.now();
  const probs = await model.denoise(
    kv,
    new Int32Array(C).fill(mask),
    memory.canvasStart,
    Array.from({ length: C }, (_, i) => i),
  );
  const passMs = performance.now() - t;
  let ll = 0;
  target.forEach((id, s) => (ll += Math.log(Math.max(probs[s * model.spec.vocabSize + id], 1e-30))));
  const P = prefixIds.length;
  const dropped = memory.dropped().positions.map((p) => (p < P ? p : P + (p - (P + model.spec.suffixGap))));
  return { ll: ll / target.length, kept: memory.tokensKept, read: memory.tokensRead, encodeMs, passMs, droppedIndex: dropped };
}

let endsLine: (id: number) => boolean = () => false;

function meanCI(values: number[], rand: () => number): { mean: number; low: number; high: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const boots: number[] = [];
  for (let b = 0; b < 1000; b++) {
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[Math.floor(rand() * values.length)];
    boots.push(s / values.length);
  }
  boots.sort((a, b) => a - b);
  return { mean, low: boots[25], high: boots[974] };
}

async function main() {
  const registry = new ModelRegistry(process.env.NANOMIND_MODELS_DIR ?? path.join(root, 'models'));
  const engine = await new CompletionBrain(registry).engineForTools();
  const { model, tokenizer } = engine;
  endsLine = (id) => engine.tokenText(id).includes('\n');
  const scorerBytes = await registry.fileBytes('memory', 'scorer');
  const scorer = Scorer.fromJson(new TextDecoder().decode(scorerBytes), model.spec.nLayer);
  const files = heldOutFiles();
  const cases: MemoryCase[] = [];
  for (let i = 0; cases.length < nCases && i < files.length * 3; i++) {
    const f = files[(i * 7919) % files.length];
    cases.push(...casesFromFile(f.file, f.id, tokenizer, { contextTokens, minCursorTokens: 2048, perFile: 1, seed: seed + i }).slice(0, nCases - cases.length));
  }
  console.log(`${cases.length} held-out cases from ${files.length} files, context ${contextTokens} tokens; ${machineDescription()}`);
  const rand = random(seed);
  const normalized: Record<string, number[]> = {};
  const keptFrac: Record<string, number[]> = {};
  const byClass = { comment: [0, 0], whitespace: [0, 0], code: [0, 0] };
  const whole = { q: [] as number[], windowMs: [] as number[], wholeMs: [] as number[], windowPass: [] as number[], wholePass: [] as number[] };
  for (const [k, c] of cases.entries()) {
    const full = await run(model, c, null);
    const add = (name: string, r: Run) => {
      (normalized[name] ??= []).push(Math.exp(r.ll - full.ll));
      (keptFrac[name] ??= []).push(r.kept / r.read);
    };
    const own = await run(model, c, nammPolicy(scorer, 1));
    add('namm_threshold', own);
    const dropped = new Set(own.droppedIndex);
    c.classes.forEach((cls, i) => {
      const key = cls === CharClass.Comment ? 'comment' : cls === CharClass.Whitespace ? 'whitespace' : 'code';
      byClass[key][0] += dropped.has(i) ? 1 : 0;
      byClass[key][1] += 1;
    });
    for (const f of fractions) for (const m of methods) add(`${m}@${f}`, await run(model, c, policyFor(m, f, c, scorer, rand)));
    // Today's window: the nearest 512 tokens (3/4 before, 1/4 after), nothing evicted; NAMM over the whole context
    // kept to the same size.
    const pre = Math.ceil((windowTokens * 3) / 4);
    const win = await run(model, c, null, c.prefixIds.slice(-pre), c.suffixIds.slice(0, windowTokens - pre));
    const namm = await run(model, c, nammPolicy(scorer, windowTokens / (c.prefixIds.length + c.suffixIds.length)));
    whole.q.push(Math.exp(namm.ll - win.ll));
    whole.windowMs.push(win.encodeMs + win.passMs);
    whole.wholeMs.push(namm.encodeMs + namm.passMs);
    whole.windowPass.push(win.passMs);
    whole.wholePass.push(namm.passMs);
    console.log(
      `case ${k + 1}/${cases.length} ${c.id}: NAMM threshold keeps ${((100 * own.kept) / own.read).toFixed(0)}%, q ${Math.exp(own.ll - full.ll).toFixed(3)}; trunc@0.25 q ${normalized['truncation@0.25'].at(-1)!.toFixed(3)}`,
    );
  }
  // A likelihood ratio against a full memory that fails far from its trained distances can be huge in one case,
  // so the geometric mean (exp of the mean log ratio, with its CI) and the median are given beside the mean.
  /** Arithmetic and geometric means of per-case ratios with bootstrap CIs, the median, and every case. */
  const ratioStats = (values: number[]) => {
    const r = meanCI(values, rand);
    const g = meanCI(values.map(Math.log), rand);
    return {
      mean: round(r.mean),
      low: round(r.low),
      high: round(r.high),
      geometric: round(Math.exp(g.mean)),
      geometricLow: round(Math.exp(g.low)),
      geometricHigh: round(Math.exp(g.high)),
      median: round(median(values)),
      perCase: values.map(round),
    };
  };
  const ci = (name: string) => {
    const q = ratioStats(normalized[name]);
    return {
      normalized_quality: q.mean,
      ci_low: q.low,
      ci_high: q.high,
      geometric_mean: q.geometric,
      geometric_ci_low: q.geometricLow,
      geometric_ci_high: q.geometricHigh,
      median: q.median,
      kept_fraction: round(mean(keptFrac[name])),
      per_case: q.perCase,
    };
  };
  const result = {
    machine: machineDescription(),
    cases: cases.length,
    case_source: 'held-out Python (training/data/python_holdout.txt), a line >= 2048 tokens into the file',
    context_tokens: contextTokens,
    quality: 'exp(mean log p of the span and <eos> in one denoise pass, all slots masked) normalized per case to the full memory',
    budgets: fractions.map((f) => ({ kept_fraction: f, methods: Object.fromEntries(methods.map((m) => [m, ci(`${m}@${f}`)])) })),
    namm_threshold: ci('namm_threshold'),
    dropped_by_class: Object.fromEntries(Object.entries(byClass).map(([k, [d, n]]) => [k, { dropped: d, tokens: n, share: round(d / Math.max(1, n)) }])),
    whole_file: {
      ...(() => {
        const q = ratioStats(whole.q);
        return {
          quality_vs_window: q.mean,
          quality_vs_window_ci_low: q.low,
          quality_vs_window_ci_high: q.high,
          quality_vs_window_geometric: q.geometric,
          quality_vs_window_geometric_ci_low: q.geometricLow,
          quality_vs_window_geometric_ci_high: q.geometricHigh,
          quality_vs_window_median: q.median,
          per_case: q.perCase,
        };
      })(),
      latency_ms_window: round(median(whole.windowMs)),
      latency_ms_whole: round(median(whole.wholeMs)),
      pass_ms_window: round(median(whole.windowPass)),
      pass_ms_whole: round(median(whole.wholePass)),
      note: 'latency: encode from scratch + one denoise pass, median; pass: one denoise pass with the memory encoded (the warm cost per pass)',
    },
  };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/memory.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(
    JSON.stringify(
      { budgets: result.budgets, namm_threshold: result.namm_threshold, dropped_by_class: result.dropped_by_class, whole_file: result.whole_file },
      null,
      1,
    ),
  );
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const round = (x: number) => Math.round(x * 10000) / 10000;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
