// Tunes the confidence gate of a models folder: the least token confidence an answer needs to be shown, per
// decoder (diffusion, the AR twin) and mode (single line, block). A suggestion is worth showing when what it gets
// right outweighs the cost of reading it: the gate maximises the sum, over the suggestions it shows, of
// (edit similarity - break-even), break-even 0.25 by default: a suggestion is worth a glance when, on average, a
// quarter of it is what the user would type (at 0.5 the shipped models would show almost no blocks: their answers'
// confidence barely tells the good from the bad, bench/results/completion-gate.json). Every answer is decoded
// once with the gate open (0), through the server's own code, and the gate is then swept over the recorded
// confidences (the least confidence among the first decoding's committed tokens, the value the gate compares).
// Cases: bench/data/infill-tuning.jsonl.gz, built from TRAINING-split files (training/completion/build_eval.py
// --split train), so the held-out cases of bench:completion never choose a setting.
// Usage: npm run bench:completion-gate -- [--models DIR] [--limit N] [--break-even C] [--context N] [--apply] [--out NAME]
// --context N: the context window in tokens (setting nanomind.completion.maxContextTokens) the gate is tuned at.
// The diffusion model's blocks are then decoded once more at the chosen gate with what the server does under it:
// a block shows its whole lines before the first token under the gate (reported as "+ whole lines under it").
// --apply writes the chosen gates into DIR/manifest.json (brains.completion.spec.confidenceGate), which the server
// reads (completion/index.ts); without it the file is untouched. Writes bench/results/completion-gate.json (or
// --out NAME there).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { defaultSettings } from '../server/src/protocol';
import { ModelRegistry } from '../server/src/runtime/models';
import { arg, editSimilarity, readCases, serverBrain, spread, token, type Case } from './completion';
import { machineDescription } from './machine';

const root = path.resolve(__dirname, '..');
const modelsDir = path.resolve(arg('--models') ?? path.join(root, 'models'));
const limit = Number(arg('--limit') ?? Infinity);
const breakEven = Number(arg('--break-even') ?? 0.25);
const apply = process.argv.includes('--apply');
const outName = arg('--out') ?? 'completion-gate.json';
const maxContextTokens = Number(arg('--context') ?? defaultSettings.completion.maxContextTokens);
const casesFile = 'infill-tuning.jsonl.gz';
const modes = ['single_line', 'multi_line'] as const;
const decoders = ['diffusion', 'autoregressive'] as const;
/** The gates tried: 0 (show all) to 0.9. */
const grid = Array.from({ length: 19 }, (_, i) => Math.round(i * 5) / 100);

/** One answer with the gate open: its confidence, and how good what the user would see is. */
export interface Answer {
  confidence: number;
  shown: boolean;
  exact: boolean;
  similarity: number;
}

export interface GatePoint {
  gate: number;
  shown: number;
  exact_match: number;
  edit_similarity: number;
  edit_similarity_shown: number;
  utility: number;
}

/** The sweep: each gate's scores over all answers (a withheld answer counts as a miss with similarity 0). */
export function sweep(answers: Answer[], gates: number[], breakEven: number): GatePoint[] {
  return gates.map((gate) => {
    const shown = answers.filter((a) => a.shown && a.confidence >= gate);
    const n = Math.max(1, answers.length);
    const similarity = shown.reduce((s, a) => s + a.similarity, 0);
    return {
      gate,
      shown: shown.length / n,
      exact_match: shown.filter((a) => a.exact).length / n,
      edit_similarity: similarity / n,
      edit_similarity_shown: shown.length ? similarity / shown.length : 0,
      utility: (similarity - breakEven * shown.length) / n,
    };
  });
}

/** The gate of highest utility; of equal ones the highest (fewer guesses on screen for the same worth). */
export function bestGate(points: GatePoint[]): GatePoint {
  return points.reduce((best, p) => (p.utility > best.utility + 1e-12 || (Math.abs(p.utility - best.utility) <= 1e-12 && p.gate > best.gate) ? p : best));
}

async function answers(
  registry: ModelRegistry,
  decoder: (typeof decoders)[number],
  cases: Case[],
  options: { minConfidence: number; confidentLines?: boolean } = { minConfidence: 0 },
): Promise<Answer[]> {
  const brain = serverBrain(registry);
  const settings = { ...defaultSettings.completion, decoder, maxContextTokens };
  const out: Answer[] = [];
  for (const c of cases) {
    const doc = TextDocument.create(`file:///gate/${decoder}/${c.id}`, c.language, 1, c.prefix + c.suffix);
    const r = await brain.complete(doc, doc.positionAt(c.prefix.length), settings, token, { mode: c.kind, ...options });
    brain.forget(doc.uri);
    const got = ((r.items[0]?.insertText as string | undefined) ?? '').trimEnd();
    const want = c.middle.trimEnd();
    out.push({ confidence: r.confidence ?? 0, shown: got.trim() !== '', exact: got === want, similarity: editSimilarity(got, want) });
  }
  return out;
}

function row(decoder: string, mode: string, n: number, p: GatePoint, note: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `| ${decoder} | ${mode} | ${n} | ${p.gate.toFixed(2)}${note} | ${pct(p.shown)} | ${pct(p.exact_match)} | ${p.edit_similarity.toFixed(3)} | ${p.edit_similarity_shown.toFixed(3)} | ${p.utility.toFixed(4)} |`,
  );
}

async function main(): Promise<void> {
  const registry = new ModelRegistry(modelsDir);
  const status = await registry.status('completion');
  if (status.state !== 'ready') throw new Error(`the completion brain of ${modelsDir} is not ready: ${status.detail}`);
  const all = readCases(casesFile);
  const cases = Number.isFinite(limit) ? spread(all, limit) : all;
  const result: Record<string, unknown> = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: modelsDir,
    cases: `bench/data/${casesFile} (training-split files), ${cases.length} of ${all.length}`,
    break_even: breakEven,
    context_tokens: maxContextTokens,
    gates: {},
  };
  const chosen: Record<string, Record<string, number>> = {};
  console.log(`machine: ${result.machine}`);
  console.log('| decoder | mode | n | gate | shown | exact match | edit similarity | its edit similarity when shown | utility |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const decoder of decoders) {
    if (decoder === 'autoregressive' && !(await registry.hasFile('completion', 'ar'))) continue;
    const got = await answers(registry, decoder, cases);
    for (const mode of modes) {
      const mine = got.filter((_, i) => cases[i].kind === mode);
      const curve = sweep(mine, grid, breakEven);
      const best = bestGate(curve);
      (chosen[decoder] ??= {})[mode] = best.gate;
      (result.gates as Record<string, unknown>)[`${decoder}/${mode}`] = { n: mine.length, chosen: best.gate, curve };
      for (const p of curve.filter((p) => p.gate === 0 || p.gate === 0.2 || p === best)) row(decoder, mode, mine.length, p, p === best ? ' (chosen)' : '');
    }
    // Blocks under the gate still show their whole lines before the first unsure token (completion/index.ts):
    // the chosen gate's blocks decoded again that way, beside the sweep's point (nothing shown under the gate).
    if (decoder === 'diffusion') {
      const blocks = cases.filter((c) => c.kind === 'multi_line');
      const gate = chosen[decoder].multi_line;
      const got = await answers(registry, decoder, blocks, { minConfidence: gate, confidentLines: true });
      const p = {
        ...sweep(
          got.map((a) => ({ ...a, confidence: 1 })),
          [0],
          breakEven,
        )[0],
        gate,
      };
      result.confident_lines = { n: blocks.length, gate, point: p };
      row(decoder, 'multi_line', blocks.length, p, ' + whole lines under it');
    }
  }
  result.chosen = chosen;
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', outName), JSON.stringify(result, null, 2) + '\n');
  if (apply) {
    const file = path.join(modelsDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    manifest.brains.completion.spec.confidenceGate = chosen;
    writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
    console.log(`wrote brains.completion.spec.confidenceGate of ${file}: ${JSON.stringify(chosen)}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
