// Choosing the maze view rule: runs the maze HRM on all 8 views of every tuning maze (held-out mazes the
// benchmark never uses, bench/data/maze-tuning.txt), records each view's answer, then scores view rules
// offline on those records: which view's answer is kept, after how many steps. The rule the manifest
// ships (views, viewStopConfidence, viewChoice) was picked from this table; npm run bench:puzzles then
// measures it once on the benchmark's own mazes.
//
// Usage: npm run bench:maze-views [-- --limit N] [-- --from bench/results/maze-views-tuning.jsonl]
// Writes bench/results/maze-views-tuning.jsonl (one line per maze; --from re-scores it without running
// the model) and bench/results/maze-view-rules.json, and prints the table.
import { appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { ActStep } from '../server/src/reasoning/hrm';
import { mazePathSteps, verifyMazePath } from '../server/src/reasoning/maze';
import { familyModel, onnxActStep } from '../server/src/reasoning/models';
import { parsePuzzle } from '../server/src/reasoning/puzzle';
import { betterView, endsViewSearch, runView } from '../server/src/reasoning/solve';
import { squareViews } from '../server/src/reasoning/views';
import { ModelRegistry } from '../server/src/runtime/models';
import { machineDescription, percentile } from './machine';

const root = path.resolve(__dirname, '..');
const results = path.join(root, 'bench', 'results');
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const limit = Number(arg('--limit') ?? Infinity);

/** One view's answer: ACT steps, halt probability, the drawn chain's steps (null when malformed), right or not. */
interface ViewRecord {
  steps: number;
  halt: number;
  ms: number;
  cost: number | null;
  correct: boolean;
}

async function record(file: string): Promise<ViewRecord[][]> {
  const registry = new ModelRegistry(process.env.NANOMIND_MODELS_DIR || path.join(root, 'models'));
  const model = await familyModel(registry, 'maze');
  const step: ActStep = await onnxActStep(registry, model);
  const perms = squareViews(model.side!);
  const mazes = readFileSync(path.join(root, 'bench', 'data', 'maze-tuning.txt'), 'utf8')
    .split(/\n\s*\n/)
    .filter((b) => b.trim() !== '')
    .slice(0, limit);
  writeFileSync(file, '');
  const all: ViewRecord[][] = [];
  for (let i = 0; i < mazes.length; i++) {
    const maze = parsePuzzle(mazes[i] + '\n', { languageId: 'maze' });
    if (maze.kind !== 'maze') throw new Error(`tuning maze #${i} does not parse`);
    const tokens = model.encode(maze);
    const views: ViewRecord[] = [];
    for (const perm of perms) {
      const { result: r, grid } = await runView(model, step, tokens, perm, { isCancellationRequested: false });
      const answer = model.decode(maze, grid!);
      const onPath = answer.kind === 'maze' ? answer.path : [];
      views.push({ steps: r.steps, halt: r.haltProbability, ms: r.ms, cost: mazePathSteps(maze, onPath), correct: verifyMazePath(maze, onPath).length === 0 });
    }
    appendFileSync(file, JSON.stringify(views) + '\n');
    all.push(views);
    if (i % 50 === 49) console.log(`${i + 1}/${mazes.length} mazes`);
  }
  return all;
}

/** The solver's rule (solve.ts) replayed on recorded views: the kept view's correctness and the steps spent. */
function replay(views: ViewRecord[], count: number, stop: number, choice: 'halt' | 'cost'): { correct: boolean; steps: number } {
  const score = (v: ViewRecord) => ({ halt: v.halt, cost: choice === 'cost' ? v.cost : 0 });
  let best: ViewRecord | null = null;
  let steps = 0;
  for (const v of views.slice(0, count)) {
    steps += v.steps;
    if (!best || betterView(score(v), score(best))) best = v;
    if (endsViewSearch(score(v), stop)) break;
  }
  return { correct: best!.correct, steps };
}

async function main(): Promise<void> {
  mkdirSync(results, { recursive: true });
  const from = arg('--from');
  const records = from
    ? readFileSync(from, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ViewRecord[])
        .slice(0, limit)
    : await record(path.join(results, 'maze-views-tuning.jsonl'));
  const msPerStep = records.flat().reduce((s, v) => s + v.ms, 0) / records.flat().reduce((s, v) => s + v.steps, 0);
  const rules: { rule: string; count: number; stop: number; choice: 'halt' | 'cost' }[] = [{ rule: 'one view', count: 1, stop: 1, choice: 'halt' }];
  for (const stop of [0.6, 0.7, 0.8, 0.9, 1.01]) rules.push({ rule: `halt head, stop at ${stop > 1 ? 'never' : stop}`, count: 8, stop, choice: 'halt' });
  for (const stop of [0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 1.01])
    rules.push({ rule: `shape then halt, stop at ${stop > 1 ? 'never' : stop}`, count: 8, stop, choice: 'cost' });
  const rows = rules.map((r) => {
    const out = records.map((views) => replay(views, r.count, r.stop, r.choice));
    const steps = out.map((o) => o.steps);
    return {
      ...r,
      accuracy: out.filter((o) => o.correct).length / out.length,
      median_steps: percentile(steps, 50),
      p95_steps: percentile(steps, 95),
      mean_steps: steps.reduce((a, b) => a + b, 0) / steps.length,
    };
  });
  const oracle = records.filter((views) => views.some((v) => v.correct)).length / records.length;
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    mazes: records.length,
    ms_per_step: msPerStep,
    oracle_any_view_right: oracle,
    rules: rows,
  };
  // A run over every tuning maze is the record; a --limit run only prints.
  if (!Number.isFinite(limit)) writeFileSync(path.join(results, 'maze-view-rules.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(
    `machine: ${result.machine}; ${records.length} tuning mazes; ${msPerStep.toFixed(1)} ms per ACT step; some view right: ${(100 * oracle).toFixed(1)}%`,
  );
  console.log('| rule (8 views unless one) | accuracy | median steps | p95 steps | mean steps | median ms (est.) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.rule} | ${(100 * r.accuracy).toFixed(1)}% | ${r.median_steps} | ${r.p95_steps} | ${r.mean_steps.toFixed(1)} | ${(r.median_steps * msPerStep).toFixed(0)} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
