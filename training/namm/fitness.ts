// The NAMM evolution's fitness, through the server's own code and graphs (onnxruntime-node, int8): a child
// process of training/namm/evolve.py. Per example, once: the context is encoded with a policy that keeps
// everything and records what every prune step would see (features, positions, anchor: none of it depends on the
// scorer). Per candidate: the prune steps are replayed with the candidate's scores and the keep rules
// (server/src/memory/keep.ts), the kept K/V get closed-up positions (kv.ts moveKeys) and the canvas (the true span
// and <eos>, all masked) is scored in one denoise pass: mean log p of the true tokens.
// Approximation: K/V and features come from the unpruned encoding; bench/memory.ts measures the real pipeline.
// Protocol: one JSON line in {"thetas": [[...]], "budget"?: number}, one line out {"results": [{"quality", "kept",
// "exact"}]} (means over examples; quality = exp(LL_pruned - LL_full)).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CompletionBrain } from '../../server/src/completion';
import { DocumentMemory, type LiveTokens } from '../../server/src/memory/documentMemory';
import { keepTokens, protectedTokens } from '../../server/src/memory/keep';
import { gatherKV, moveKeys, type KV } from '../../server/src/memory/kv';
import { Scorer } from '../../server/src/memory/scorer';
import { ModelRegistry } from '../../server/src/runtime/models';

const root = path.resolve(__dirname, '..', '..');
const buckets = [8, 16, 32, 64];

export interface Example {
  prefix: number[];
  suffix: number[];
  middle: number[];
  prefix_ends_line: boolean[];
  suffix_ends_line: boolean[];
}

interface Cached {
  steps: LiveTokens[];
  ends: boolean[];
  full: KV;
  P: number;
  canvas: Int32Array;
  target: number[];
  /** Slots scored: the span and its first <eos>. */
  scored: number;
  fullLL: number;
}

export class Fitness {
  private constructor(
    private readonly model: Awaited<ReturnType<CompletionBrain['engineForTools']>>['model'],
    private readonly mask: number,
    private readonly eos: number,
    readonly cases: Cached[],
  ) {}

  static async create(examples: Example[], modelsDir = path.join(root, 'models')): Promise<Fitness> {
    const brain = new CompletionBrain(new ModelRegistry(modelsDir));
    const { model, tokenizer } = await brain.engineForTools();
    if (!model.summarizesAttention) throw new Error('the encode graph has no attention_received output (re-export it: training/completion/export.py)');
    const f = new Fitness(model, tokenizer.special.mask, tokenizer.special.eos, []);
    for (const ex of examples) f.cases.push(await f.cache(ex));
    return f;
  }

  private async cache(ex: Example): Promise<Cached> {
    const ends = [...ex.prefix_ends_line, ...ex.suffix_ends_line];
    const steps: LiveTokens[] = [];
    const record = { key: 'record', budget: 1, score: (live: LiveTokens) => (steps.push(live), new Float64Array(live.count).fill(1)) };
    const memory = new DocumentMemory();
    const full = await this.model.encodeContext(memory, ex.prefix, ex.suffix, () => false, record);
    if (!full) throw new Error('encoding was cancelled');
    const C = buckets.find((c) => c >= ex.middle.length + 1)!;
    const target = [...ex.middle, ...Array(C - ex.middle.length).fill(this.eos)];
    const c: Cached = { steps, ends, full, P: ex.prefix.length, canvas: new Int32Array(C).fill(this.mask), target, scored: ex.middle.length + 1, fullLL: 0 };
    c.fullLL = (await this.loglik(c, new Uint8Array(ends.length).fill(1))).ll;
    return c;
  }

  /** Replays the prune steps with `score`; returns the kept mask over all context tokens. */
  prune(c: Cached, score: (live: LiveTokens) => Float64Array, budget: number): Uint8Array {
    const kept = new Uint8Array(c.ends.length);
    let prev = 0;
    for (const step of c.steps) {
      const end = step.count;
      kept.fill(1, prev, end);
      const live: number[] = [];
      for (let i = 0; i < end; i++) if (kept[i]) live.push(i);
      const F = step.features.length / step.count;
      const sub: LiveTokens = {
        count: live.length,
        features: new Float64Array(live.length * F),
        received: live.map((i) => step.received[i]),
        positions: live.map((i) => step.positions[i]),
        ids: live.map((i) => step.ids[i]),
        anchor: step.anchor,
      };
      live.forEach((i, k) => sub.features.set(step.features.subarray(i * F, (i + 1) * F), k * F));
      const protect = protectedTokens(sub.positions, live.map((i) => c.ends[i]), step.anchor);
      const cap = budget < 1 ? Math.max(1, Math.floor(budget * end)) : live.length;
      const keep = keepTokens(score(sub), protect, cap);
      kept.fill(0, 0, end);
      live.forEach((i, k) => keep[k] && (kept[i] = 1));
      prev = end;
    }
    return kept;
  }

  async loglik(c: Cached, kept: Uint8Array): Promise<{ ll: number; exact: boolean }> {
    const rows: number[] = [];
    kept.forEach((k, i) => k && rows.push(i));
    const spec = this.model.spec;
    const kv = gatherKV([{ kv: c.full, rows }], spec, 2 * spec.nLayer);
    const P2 = rows.filter((i) => i < c.P).length;
    const delta = rows.map((i, k) => (k < P2 ? k : P2 + spec.suffixGap + (k - P2)) - (i < c.P ? i : i + spec.suffixGap));
    moveKeys(kv, delta, spec, spec.ropeTheta ?? 10000);
    const V = spec.vocabSize;
    const masked = Array.from(c.canvas, (_, i) => i);
    const probs = await this.model.denoise(kv, c.canvas, P2, masked);
    let ll = 0;
    let exact = true;
    const n = c.scored;
    for (let s = 0; s < n; s++) {
      const row = probs.subarray(s * V, (s + 1) * V);
      ll += Math.log(Math.max(row[c.target[s]], 1e-30));
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
      if (best !== c.target[s]) exact = false;
    }
    return { ll: ll / n, exact };
  }

  async evaluate(score: (live: LiveTokens) => Float64Array, budget = 1): Promise<{ quality: number; kept: number; exact: number; perCase: number[] }> {
    const perCase: number[] = [];
    let kept = 0;
    let exact = 0;
    for (const c of this.cases) {
      const mask = this.prune(c, score, budget);
      const { ll, exact: ok } = await this.loglik(c, mask);
      perCase.push(Math.exp(ll - c.fullLL));
      kept += mask.reduce((a, b) => a + b, 0) / mask.length;
      exact += ok ? 1 : 0;
    }
    const n = this.cases.length;
    return { quality: perCase.reduce((a, b) => a + b, 0) / n, kept: kept / n, exact: exact / n, perCase };
  }
}

async function main() {
  const file = process.argv[2];
  const examples = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Example);
  const fitness = await Fitness.create(examples);
  const nLayer = fitness.cases[0]?.steps[0] ? (fitness.cases[0].steps[0].features.length / fitness.cases[0].steps[0].count - 2) / 3 : 8;
  process.stdout.write(JSON.stringify({ ready: fitness.cases.length, nLayer }) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const req = JSON.parse(line) as { thetas: number[][]; budget?: number };
    const results = [];
    for (const theta of req.thetas) {
      const scorer = new Scorer(nLayer, theta);
      const r = await fitness.evaluate((live) => scorer.score(live.features, live.count), req.budget ?? 1);
      results.push({ quality: r.quality, kept: r.kept, exact: r.exact, per_case: r.perCase });
    }
    process.stdout.write(JSON.stringify({ results }) + '\n');
  }
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
