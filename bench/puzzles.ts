// Benchmark: the HRM on every puzzle set of bench/ood/sets.ts — the in-distribution held-out sets and the
// out-of-distribution families no training generator produces — through the server's own solve path
// (parse → ACT loop over ONNX → verify), next to the exact solver, in one run on this CPU.
// Usage: npm run bench:puzzles [-- --limit N] [-- --only NAME,NAME|sudoku|maze] [-- --view-rules]
//        [-- --candidate DIR] (a models folder with new HRM graphs and its manifest: every set runs with the shipped
//        models and then with DIR's, in the same process, and both go into the JSON and a side-by-side table)
//        [-- --legacy-loop] (no stall stop, no time budget: the loop before issue 17) [-- --stall K] [-- --budget MS]
// Writes bench/results/puzzles.json (a run with --limit or --only writes puzzles-partial-<...>.json) and
// prints one table per set, by hardness band: Sudoku by the exact solver's backtracks, mazes by path steps.
// The headline `sudoku` / `maze` entries are the hardest out-of-distribution sets (`headline` in sets.ts).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { onnxConvMaze } from '../server/src/reasoning/convMaze';
import { onnxActStep } from '../server/src/reasoning/models';
import { parsePuzzle, solveExactly } from '../server/src/reasoning/puzzle';
import { PuzzleSolver, type ViewSearch } from '../server/src/reasoning/solve';
import { ModelRegistry } from '../server/src/runtime/models';
import { machineDescription, percentile } from './machine';
import { mazeBand } from './ood/mazeSets';
import { PUZZLE_SETS, type PuzzleSet } from './ood/sets';
import { rateSudoku, sudokuBand } from './ood/sudokuSets';

const root = path.resolve(__dirname, '..');
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const limit = Number(arg('--limit') ?? Infinity);
const only = arg('--only')?.split(',');
const sets = PUZZLE_SETS.filter((s) => (only ? only.includes(s.name) || (!s.tuning && only.includes(s.family)) : !s.tuning));
const legacyLoop = process.argv.includes('--legacy-loop');
/** Loop settings that replace the manifest's for both families (comparisons in one run). */
const loopOverride: ViewSearch = {
  ...(legacyLoop ? { stallSteps: 0, timeBudgetMs: 0 } : {}),
  ...(arg('--stall') !== undefined ? { stallSteps: Number(arg('--stall')) } : {}),
  ...(arg('--budget') !== undefined ? { timeBudgetMs: Number(arg('--budget')) } : {}),
};
if (sets.length === 0) throw new Error(`--only ${only} matches no set: ${PUZZLE_SETS.map((s) => s.name).join(', ')}`);

/** Simpler ways to pick among the maze views, benchmarked beside the manifest's rule with --view-rules. */
const MAZE_VIEW_RULES: Record<string, ViewSearch> = {
  'halt head picks among 8 views (stop at 0.7)': { views: 8, viewStopConfidence: 0.7, viewChoice: 'halt' },
  'one view': { views: 1, viewChoice: 'halt' },
};

interface Outcome {
  band: string;
  correct: boolean;
  ms: number;
  steps: number;
  views: number;
  halted: boolean;
  exactMs: number;
  /** Which network's answer was kept (mazes: the HRM or the conv model). */
  network: string;
}

interface Summary {
  n: number;
  accuracy: number;
  median_ms: number;
  p95_ms: number;
  mean_steps: number;
  mean_views: number;
  /** Share of puzzles whose network answer failed verification, so the exact solver was offered. */
  exact_offered: number;
  halted_by_model: number;
  exact_solver_median_ms: number;
  /** Share of answers that came from the conv maze model (the rest from the HRM). */
  answered_by_conv: number;
}

interface SetResult extends Summary {
  name: string;
  family: 'sudoku' | 'maze';
  in_distribution: boolean;
  description: string;
  bands: ({ band: string } & Summary)[];
  network_unavailable?: string;
}

function summarize(outcomes: Outcome[]): Summary {
  const n = outcomes.length;
  const mean = (f: (o: Outcome) => number) => outcomes.reduce((a, o) => a + f(o), 0) / n;
  return {
    n,
    accuracy: mean((o) => Number(o.correct)),
    median_ms: percentile(
      outcomes.map((o) => o.ms),
      50,
    ),
    p95_ms: percentile(
      outcomes.map((o) => o.ms),
      95,
    ),
    mean_steps: mean((o) => o.steps),
    mean_views: mean((o) => o.views),
    exact_offered: mean((o) => Number(!o.correct)),
    halted_by_model: mean((o) => Number(o.halted)),
    exact_solver_median_ms: percentile(
      outcomes.map((o) => o.exactMs),
      50,
    ),
    answered_by_conv: mean((o) => Number(o.network === 'conv')),
  };
}

/** Sudoku one per line (81 characters, '.' blank); mazes separated by blank lines. */
function loadSet(set: PuzzleSet): string[] {
  const text = readFileSync(path.join(root, 'bench', 'data', set.file), 'utf8');
  const items = set.family === 'sudoku' ? text.split('\n').filter((l) => l.trim() !== '') : text.split(/\n\s*\n/).filter((b) => b.trim() !== '');
  return items.slice(0, limit);
}

async function runSet(set: PuzzleSet, solver: PuzzleSolver): Promise<SetResult> {
  const outcomes: Outcome[] = [];
  let unavailable: string | undefined;
  const never = { isCancellationRequested: false };
  const items = loadSet(set);
  for (let i = 0; i < items.length; i++) {
    const text = set.family === 'sudoku' ? items[i].slice(0, 81).match(/.{9}/g)!.join('\n') + '\n' : items[i] + '\n';
    const parsed = parsePuzzle(text, { languageId: set.family });
    if (parsed.kind === 'error') throw new Error(`${set.name} #${i} does not parse: ${parsed.message}`);
    const t0 = performance.now();
    solveExactly(parsed);
    const exactMs = performance.now() - t0;
    const band = parsed.kind === 'sudoku' ? sudokuBand(rateSudoku(parsed.givens)) : mazeBand(parsed.shortestLength);
    const doc = TextDocument.create(`file:///bench/${set.name}-${i}`, set.family, 1, text);
    const t1 = performance.now();
    const r = await solver.solve(doc, { uri: doc.uri }, never, () => {});
    if (r.outcome === 'unavailable') {
      unavailable = r.unavailable;
      break;
    }
    const ms = performance.now() - t1;
    outcomes.push({ band, correct: r.outcome === 'verified', ms, steps: r.steps, views: r.views ?? 1, halted: r.halted, exactMs, network: r.network ?? 'hrm' });
  }
  const bandNames = [...new Set(outcomes.map((o) => o.band))].sort();
  return {
    name: set.name,
    family: set.family,
    in_distribution: set.inDistribution,
    description: set.description,
    ...summarize(outcomes),
    bands: bandNames.map((band) => ({ band, ...summarize(outcomes.filter((o) => o.band === band)) })),
    ...(unavailable ? { network_unavailable: unavailable } : {}),
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const row = (name: string, s: Summary) =>
  `| ${name} | ${s.n} | ${pct(s.accuracy)} | ${s.median_ms.toFixed(0)} | ${s.p95_ms.toFixed(0)} | ${s.mean_steps.toFixed(1)} | ${s.mean_views.toFixed(2)} | ${pct(s.exact_offered)} |`;

function printSet(r: SetResult): void {
  console.log(`\n${r.name} (${r.in_distribution ? 'in-distribution' : 'OUT of distribution'}): ${r.description}`);
  if (r.network_unavailable) console.log(`  network not run: ${r.network_unavailable}`);
  console.log('| set / band | n | network accuracy | median ms | p95 ms | mean steps | mean views | exact solver offered |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(row('**all**', r));
  for (const b of r.bands) console.log(row(b.band, b));
}

async function main(): Promise<void> {
  const registry = new ModelRegistry(process.env.NANOMIND_MODELS_DIR || path.join(root, 'models'));
  const solver = new PuzzleSolver(registry, onnxActStep, { sudoku: loopOverride, maze: loopOverride }, onnxConvMaze);
  const candidateDir = arg('--candidate');
  const candidate =
    candidateDir && new PuzzleSolver(new ModelRegistry(path.resolve(candidateDir)), onnxActStep, { sudoku: loopOverride, maze: loopOverride }, onnxConvMaze);
  const families: SetResult[] = [];
  const candidateFamilies: SetResult[] = [];
  for (const set of sets) {
    const r = await runSet(set, solver);
    families.push(r);
    printSet(r);
    if (!candidate) continue;
    const c = await runSet(set, candidate);
    candidateFamilies.push(c);
    printSet({ ...c, name: `${c.name} (candidate)` });
  }
  const headline = (family: 'sudoku' | 'maze', results = families) => {
    const r = results.find((f) => f.family === family && sets.find((s) => s.name === f.name)?.headline);
    return r && { set: r.name, n: r.n, accuracy: r.accuracy, median_ms: r.median_ms, p95_ms: r.p95_ms };
  };
  const viewRules: Record<string, SetResult> = {};
  if (process.argv.includes('--view-rules')) {
    for (const [name, search] of Object.entries(MAZE_VIEW_RULES)) {
      for (const set of sets.filter((s) => s.family === 'maze')) {
        viewRules[`${set.name}, ${name}`] = await runSet(set, new PuzzleSolver(registry, onnxActStep, { maze: { ...loopOverride, ...search } }));
        printSet({ ...viewRules[`${set.name}, ${name}`], name: `${set.name}, ${name}` });
      }
    }
  }
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: process.env.NANOMIND_MODELS_DIR || 'models',
    loop_override: loopOverride,
    sudoku: headline('sudoku'),
    maze: headline('maze'),
    families,
    ...(candidate
      ? {
          candidate: {
            models: candidateDir,
            sudoku: headline('sudoku', candidateFamilies),
            maze: headline('maze', candidateFamilies),
            families: candidateFamilies,
          },
        }
      : {}),
    ...(Object.keys(viewRules).length > 0 ? { maze_view_rules: viewRules } : {}),
  };
  const partial = only !== undefined || Number.isFinite(limit) || Object.keys(loopOverride).length > 0 || candidate;
  const loopTag = Object.entries(loopOverride)
    .map(([k, v]) => `-${k}${v}`)
    .join('');
  const name = partial
    ? `puzzles-partial-${(only ?? ['all']).join('-')}${Number.isFinite(limit) ? `-${limit}` : ''}${loopTag}${candidate ? '-candidate' : ''}.json`
    : 'puzzles.json';
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', name), JSON.stringify(result, null, 2) + '\n');
  console.log(`\nmachine: ${result.machine}\nwrote bench/results/${name}`);
  console.log('| headline (hardest out-of-distribution set) | n | accuracy | median ms | p95 ms |\n|---|---|---|---|---|');
  for (const h of [result.sudoku, result.maze])
    if (h) console.log(`| ${h.set} | ${h.n} | ${pct(h.accuracy)} | ${h.median_ms.toFixed(0)} | ${h.p95_ms.toFixed(0)} |`);
  if (candidate) {
    console.log(`\nshipped (models) vs candidate (${candidateDir}), same sets, same process:`);
    console.log('| set | in distribution | n | shipped accuracy | candidate accuracy | shipped median / p95 ms | candidate median / p95 ms |');
    console.log('|---|---|---|---|---|---|---|');
    families.forEach((r, i) => {
      const c = candidateFamilies[i];
      console.log(
        `| ${r.name} | ${r.in_distribution ? 'yes' : 'no'} | ${r.n} | ${pct(r.accuracy)} | ${pct(c.accuracy)} | ${r.median_ms.toFixed(0)} / ${r.p95_ms.toFixed(0)} | ${c.median_ms.toFixed(0)} / ${c.p95_ms.toFixed(0)} |`,
      );
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
