// Benchmark: the HRM on held-out hard Sudoku and 30x30 mazes, through the server's own solve path
// (parse → ACT loop over ONNX → verify), next to the exact solver, in one run on this CPU.
// Usage: npm run bench:puzzles [-- --limit N] [-- --only sudoku|maze]
// Writes bench/results/puzzles.json (a run with --limit or --only writes puzzles-partial-<...>.json) and prints a table.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { onnxActStep } from '../server/src/reasoning/models';
import { parsePuzzle, solveExactly } from '../server/src/reasoning/puzzle';
import { PuzzleSolver, type ViewSearch } from '../server/src/reasoning/solve';
import { ModelRegistry } from '../server/src/runtime/models';
import { machineDescription, percentile } from './machine';

const root = path.resolve(__dirname, '..');
const limitArg = process.argv.indexOf('--limit');
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : Infinity;
const onlyArg = process.argv.indexOf('--only');
const families = (onlyArg > 0 ? [process.argv[onlyArg + 1]] : ['sudoku', 'maze']) as ('sudoku' | 'maze')[];
if (families.some((f) => f !== 'sudoku' && f !== 'maze')) throw new Error('--only takes sudoku or maze');

/** Simpler ways to pick among the maze views, benchmarked beside the manifest's rule (see solve.ts). */
const MAZE_VIEW_RULES: Record<string, ViewSearch> = {
  'shape then halt among 8 views (stop at 0.9)': { views: 8, viewStopConfidence: 0.9, viewChoice: 'cost' },
  'halt head picks among 8 views (stop at 0.7)': { views: 8, viewStopConfidence: 0.7, viewChoice: 'halt' },
  'one view': { views: 1, viewChoice: 'halt' },
};

interface FamilyResult {
  n: number;
  accuracy: number | null;
  median_ms: number | null;
  p95_ms: number | null;
  mean_steps: number | null;
  mean_views: number | null;
  steps_histogram: Record<string, number>;
  halted_by_model: number | null;
  exact_solver_median_ms: number;
  exact_solver_p95_ms: number;
  network_unavailable?: string;
}

/** Held-out sets: Sudoku one per line (81 chars, '.' blank); mazes separated by blank lines. */
function loadSet(family: 'sudoku' | 'maze'): string[] {
  const file = path.join(root, 'bench', 'data', family === 'sudoku' ? 'sudoku-heldout.txt' : 'maze-heldout.txt');
  const text = readFileSync(file, 'utf8');
  const items = family === 'sudoku' ? text.split('\n').filter((l) => l.trim() !== '') : text.split(/\n\s*\n/).filter((b) => b.trim() !== '');
  return items.slice(0, limit);
}

async function runFamily(family: 'sudoku' | 'maze', solver: PuzzleSolver): Promise<FamilyResult> {
  const puzzles = loadSet(family);
  const exactMs: number[] = [];
  const netMs: number[] = [];
  const steps: number[] = [];
  const views: number[] = [];
  let correct = 0;
  let halted = 0;
  let unavailable: string | undefined;
  const never = { isCancellationRequested: false };
  for (let i = 0; i < puzzles.length; i++) {
    const text = family === 'sudoku' ? puzzles[i].match(/.{9}/g)!.join('\n') + '\n' : puzzles[i] + '\n';
    const parsed = parsePuzzle(text, { languageId: family });
    if (parsed.kind === 'error') throw new Error(`held-out ${family} #${i} does not parse: ${parsed.message}`);
    const t0 = performance.now();
    solveExactly(parsed);
    exactMs.push(performance.now() - t0);
    if (unavailable) continue;
    const doc = TextDocument.create(`file:///bench/${family}-${i}`, family, 1, text);
    const t1 = performance.now();
    const r = await solver.solve(doc, { uri: doc.uri }, never, () => {});
    if (r.outcome === 'unavailable') {
      unavailable = r.unavailable;
      continue;
    }
    netMs.push(performance.now() - t1);
    steps.push(r.steps);
    views.push(r.views ?? 1);
    if (r.halted) halted++;
    if (r.outcome === 'verified') correct++;
  }
  const histogram: Record<string, number> = {};
  for (const s of steps) histogram[s] = (histogram[s] ?? 0) + 1;
  const n = puzzles.length;
  const ran = netMs.length > 0;
  return {
    n,
    accuracy: ran ? correct / n : null,
    median_ms: ran ? percentile(netMs, 50) : null,
    p95_ms: ran ? percentile(netMs, 95) : null,
    mean_steps: ran ? steps.reduce((a, b) => a + b, 0) / steps.length : null,
    mean_views: ran ? views.reduce((a, b) => a + b, 0) / views.length : null,
    steps_histogram: histogram,
    halted_by_model: ran ? halted / n : null,
    exact_solver_median_ms: percentile(exactMs, 50),
    exact_solver_p95_ms: percentile(exactMs, 95),
    ...(unavailable ? { network_unavailable: unavailable } : {}),
  };
}

async function main(): Promise<void> {
  const registry = new ModelRegistry(process.env.NANOMIND_MODELS_DIR || path.join(root, 'models'));
  const solver = new PuzzleSolver(registry, onnxActStep);
  const result: { machine: string; date: string; maze_view_rules?: Record<string, FamilyResult> } & Partial<Record<'sudoku' | 'maze', FamilyResult>> = {
    machine: machineDescription(),
    date: new Date().toISOString(),
  };
  for (const family of families) result[family] = await runFamily(family, solver);
  if (families.includes('maze')) {
    // The shipped view rule beside the simpler ones, on the same mazes in the same run.
    result.maze_view_rules = {};
    for (const [name, search] of Object.entries(MAZE_VIEW_RULES)) {
      result.maze_view_rules[name] = await runFamily('maze', new PuzzleSolver(registry, onnxActStep, { maze: search }));
    }
  }
  const partial = families.length < 2 || Number.isFinite(limit);
  const name = partial ? `puzzles-partial-${families.join('-')}${Number.isFinite(limit) ? `-${limit}` : ''}.json` : 'puzzles.json';
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', name), JSON.stringify(result, null, 2) + '\n');
  const fmt = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits));
  console.log(`machine: ${result.machine}`);
  console.log('| family | n | network accuracy | median ms | p95 ms | mean steps | halted by model | exact median ms | exact p95 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const family of families) {
    const r = result[family]!;
    const acc = r.accuracy === null ? '—' : `${(100 * r.accuracy).toFixed(1)}%`;
    const halted = r.halted_by_model === null ? '—' : `${(100 * r.halted_by_model).toFixed(0)}%`;
    console.log(`| ${family} | ${r.n} | ${acc} | ${fmt(r.median_ms)} | ${fmt(r.p95_ms)} | ${fmt(r.mean_steps, 2)} | ${halted} | ${fmt(r.exact_solver_median_ms, 3)} | ${fmt(r.exact_solver_p95_ms, 3)} |`);
    if (r.network_unavailable) console.log(`  ${family}: network not run: ${r.network_unavailable}`);
  }
  for (const [name, r] of Object.entries(result.maze_view_rules ?? {})) {
    const acc = r.accuracy === null ? '—' : `${(100 * r.accuracy).toFixed(1)}%`;
    console.log(`| maze, ${name} | ${r.n} | ${acc} | ${fmt(r.median_ms)} | ${fmt(r.p95_ms)} | ${fmt(r.mean_steps, 2)} | — | — | — |`);
  }
  console.log('maze: the shipped rule (models/manifest.json) first, then the simpler view rules it is compared with; mean views:',
    [result.maze, ...Object.values(result.maze_view_rules ?? {})].map((r) => fmt(r?.mean_views ?? null, 2)).join(' / '));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
