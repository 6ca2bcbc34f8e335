// Benchmark: held-out code infill through the server's own completion code (context window,
// per-document memory, sampler, post-processing), for the diffusion model, the same model committing
// one token per pass, and the autoregressive twin, side by side on the same cases in one run.
// Each case is asked twice: cold (a document the server has never seen: the whole context is encoded)
// and warm (the same request again with remembered suggestions dropped but the context memory kept: what a
// keystroke on the cursor line costs, since the typed line sits on the canvas and the context is unchanged).
// The warm answer must equal the cold one (the memory is exact); the run fails otherwise. The diffusion model and
// the AR twin are also timed "after Enter" (typingFlow below): the request that follows an edit, with the
// client's debounce in between, during which the server encodes what the edit changed.
// Usage: npm run bench:completion [-- --limit N] [--threshold T] [--single-threshold T] [--systems diffusion,autoregressive] [--single-canvas C] [--multi-canvas C] [--kinds single_line] [--candidate DIR] [--split heldout|tuning] [--context N] [--candidate-context N] [--open-lines] [--dump FILE] [--out NAME]
// --candidate DIR: a models folder (a copy of models/ with new completion graphs and its manifest) whose systems run
// in the same process right after the shipped ones, named "NAME (candidate)", so old and new are compared in one run.
// Writes bench/results/completion.json and prints a table.
import { appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { changeEnd, CompletionBrain, type CompleteOptions } from '../server/src/completion';
import { MemoryBrain } from '../server/src/memory';
import { SyntaxGate, type Verdict } from '../server/src/completion/syntax';
import { defaultSettings, type NanomindSettings } from '../server/src/protocol';
import { ModelRegistry } from '../server/src/runtime/models';
import { machineDescription, percentile } from './machine';

const root = path.resolve(__dirname, '..');
const limitArg = process.argv.indexOf('--limit');
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : Infinity;
export const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
/** The diffusion system's commit thresholds for a block and for a line (the shipped defaults unless given). */
const threshold = Number(arg('--threshold') ?? defaultSettings.completion.threshold);
const singleLineThreshold = Number(arg('--single-threshold') ?? defaultSettings.completion.singleLineThreshold);
const only = arg('--systems')?.split(',');
/** Only cases of these kinds (single_line, multi_line). */
const kinds = arg('--kinds')?.split(',');
/** The first single-line canvas size, when not the manifest's (it grows while a span fills it). */
const singleLineCanvas = arg('--single-canvas') === undefined ? undefined : Number(arg('--single-canvas'));
const multiLineCanvas = arg('--multi-canvas') === undefined ? undefined : Number(arg('--multi-canvas'));
const candidateDir = arg('--candidate');
/**
 * --split tuning: cases from TRAINING-split files (bench/data/infill-tuning.jsonl.gz), where a decoding setting may
 * be chosen before the held-out cases (the default) judge it.
 */
const split = arg('--split') ?? 'heldout';
if (split !== 'heldout' && split !== 'tuning') throw new Error(`--split must be heldout or tuning, not ${split}`);
const casesFile = `infill-${split}.jsonl.gz`;
/**
 * --context N: the context window in tokens (setting nanomind.completion.maxContextTokens) for every system;
 * --candidate-context N: for the candidate's systems only (a model trained on longer contexts against the shipped
 * one at its own window). Both default to the setting's default.
 */
const context = Number(arg('--context') ?? defaultSettings.completion.maxContextTokens);
const candidateContext = Number(arg('--candidate-context') ?? context);
const contextChanged = context !== defaultSettings.completion.maxContextTokens || candidateContext !== context;
/**
 * --open-lines: the single-line cases whose line assigns (`x = …`, `self.total += …`), each asked with its line typed up
 * to and including the operator and the blank after it: the cursor in a line the user has left open, where an empty
 * suggestion is never right (the second answer `retryUnfinished` of completion/index.ts is for it).
 */
const openLines = process.argv.includes('--open-lines');
/** --out NAME: the result file's name under bench/results (default: completion.json for the full run, else a partial name from the flags). */
const outName = arg('--out');
/** --dump FILE: one JSON line per system and case (what was expected, shown and decoded), to read the misses. */
const dumpFile = arg('--dump');

export interface Case {
  id: string;
  language: 'typescript' | 'javascript' | 'python';
  kind: 'single_line' | 'multi_line';
  prefix: string;
  suffix: string;
  middle: string;
}

interface Score {
  n: number;
  exact_match: number;
  edit_similarity: number;
  /** Share of cases that got a suggestion (both decoders withhold one with a token under the confidence gate). */
  shown: number;
  /** Edit similarity over the cases that got a suggestion. */
  edit_similarity_shown: number;
  p50_ms: number;
  p95_ms: number;
  warm_p50_ms: number;
  warm_p95_ms: number;
  /** The typing flow (see runSystem), when the system runs it. */
  typing_p50_ms?: number;
  typing_p95_ms?: number;
  /** Share of typing-flow answers equal to the cold one (chunks encoded in other groupings may round differently). */
  typing_same_answer?: number;
  tokens_per_forward: number;
  /** Exact match, edit similarity (all cases, and those shown) and shown share of the suggestions before the syntax gate (server/src/completion/syntax.ts). */
  exact_match_ungated: number;
  edit_similarity_ungated: number;
  edit_similarity_shown_ungated: number;
  shown_ungated: number;
  /**
   * Share of shown suggestions that add a syntax error in their document (fresh tree-sitter parses): an error
   * no further typing at the suggestion's end fixes (the verdict `wrong` of syntaxVerdict.ts), before and after the gate.
   */
  adds_syntax_error_ungated: number;
  adds_syntax_error: number;
  /** Share of shown suggestions that leave the document with any new error, unfinished code included (verdict not `clean`), before and after the gate. */
  any_new_error_ungated: number;
  any_new_error: number;
}

interface Row {
  c: Case;
  ms: number;
  warmMs: number;
  /** The typing flow's request time and whether it answered as the cold request did (null: not run). */
  typingMs: number | null;
  typingSame: boolean;
  exact: boolean;
  similarity: number;
  shown: boolean;
  forwards: number;
  tokens: number;
  /** The suggestion before the syntax gate, and the syntax verdict on each (null: not shown or not checked). */
  exactUngated: boolean;
  similarityUngated: number;
  shownUngated: boolean;
  verdictUngated: Verdict['kind'] | null;
  verdict: Verdict['kind'] | null;
  /** What was shown (after the gate) and what the model wrote (before it), for --dump. */
  got: string;
  ungated: string;
  /** What the confidence gate compared (completion/index.ts), for --dump. */
  confidence: number | null;
}

const systems: Record<string, Partial<NanomindSettings['completion']>> = {
  diffusion: { decoder: 'diffusion', threshold, singleLineThreshold },
  // A threshold above 1 lets only the single most confident slot commit in each pass.
  diffusion_one_token_per_step: { decoder: 'diffusion', threshold: 1.01, singleLineThreshold: 1.01 },
  // The shipped decoder without its second decoding after a syntax-gate cut (completion/index.ts).
  diffusion_no_redecode: { decoder: 'diffusion', threshold, singleLineThreshold },
  // Without the last answer on a line left open that shows nothing (completion/index.ts); --open-lines measures it.
  diffusion_no_open_line_retry: { decoder: 'diffusion', threshold, singleLineThreshold },
  autoregressive: { decoder: 'autoregressive' },
};
/** Options of a system beyond its settings. */
const systemOptions: Record<string, CompleteOptions> = { diffusion_no_redecode: { redecode: false }, diffusion_no_open_line_retry: { retryUnfinished: false } };
/** Systems run only when named in --systems (the windows the shipped one was chosen from, and single-line windows). */
const exploratory = /^diffusion_(window\d+|line_window\d+|line_no_window|no_open_line_retry)$/;
// Decoding order, for a block (the manifest's spec.blockWindow ships one) and a single line (spec.lineWindow): any
// slot before the span's end may commit (no window), or only the first N masked slots (semi-autoregressive).
for (const [name, options] of [
  ['no_window', { multiLineWindow: Infinity }],
  ['window2', { multiLineWindow: 2 }],
  ['window4', { multiLineWindow: 4 }],
  ['window6', { multiLineWindow: 6 }],
  ['window8', { multiLineWindow: 8 }],
  ['line_no_window', { singleLineWindow: Infinity }],
  ['line_window1', { singleLineWindow: 1 }],
  ['line_window2', { singleLineWindow: 2 }],
  ['line_window3', { singleLineWindow: 3 }],
  ['line_window4', { singleLineWindow: 4 }],
] as const) {
  systems[`diffusion_${name}`] = systems.diffusion;
  systemOptions[`diffusion_${name}`] = options;
}
/** The extension's default pause before it sends a request (package.json, nanomind.completion.debounceMs). */
const clientDebounceMs = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default: number }> } } }
).contributes.configuration.properties['nanomind.completion.debounceMs'].default;
/** Systems also timed in the typing flow (the one-token ablation is left out to keep the run short). */
const typingSystems = ['diffusion', 'autoregressive'];

/** The infill cases of a bench/data file (build_eval.py), sorted by id so kinds and languages interleave. */
export function readCases(name: string): Case[] {
  const lines = gunzipSync(readFileSync(path.join(root, 'bench', 'data', name)))
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
  return lines.map((l) => JSON.parse(l) as Case).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The case asked with its line typed up to its first assignment operator and the blanks after it (`x = `), or null
 * when its line assigns nothing or nothing follows the operator on it.
 */
export function openLineCase(c: Case): Case | null {
  if (c.kind !== 'single_line') return null;
  const line = c.middle.split('\n')[0];
  const m = /^[^=]*?[^=!<>+\-*/%&|^ ]\s*(?:[+\-*/%&|^]|\*\*|\/\/)?=(?![=>])\s*/.exec(line);
  if (!m || !line.slice(m[0].length).trim()) return null;
  return { ...c, id: `${c.id}-open`, prefix: c.prefix + m[0], middle: c.middle.slice(m[0].length) };
}

function loadCases(): Case[] {
  const all = readCases(casesFile).filter((c) => !kinds || kinds.includes(c.kind));
  const cases = openLines ? all.map(openLineCase).filter((c): c is Case => c !== null) : all;
  // Sorted by id, so --limit keeps the mix.
  return Number.isFinite(limit) ? spread(cases, limit) : cases;
}

/** `n` items evenly spread over `items` (all of them, each once, when `n` is not smaller). */
export function spread<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  const step = items.length / n;
  return Array.from({ length: Math.min(n, items.length) }, (_, i) => items[Math.floor(i * step)]);
}

export function editSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[n] / Math.max(m, n);
}

function score(rows: Row[]): Score {
  const shown = rows.filter((r) => r.shown);
  const typed = rows.filter((r) => r.typingMs !== null);
  const forwards = rows.reduce((s, r) => s + r.forwards, 0);
  const tokens = rows.reduce((s, r) => s + r.tokens, 0);
  return {
    n: rows.length,
    exact_match: rows.filter((r) => r.exact).length / rows.length,
    edit_similarity: rows.reduce((s, r) => s + r.similarity, 0) / rows.length,
    shown: shown.length / rows.length,
    edit_similarity_shown: shown.length === 0 ? 0 : shown.reduce((s, r) => s + r.similarity, 0) / shown.length,
    p50_ms: percentile(
      rows.map((r) => r.ms),
      50,
    ),
    p95_ms: percentile(
      rows.map((r) => r.ms),
      95,
    ),
    warm_p50_ms: percentile(
      rows.map((r) => r.warmMs),
      50,
    ),
    warm_p95_ms: percentile(
      rows.map((r) => r.warmMs),
      95,
    ),
    ...(typed.length === 0
      ? {}
      : {
          typing_p50_ms: percentile(
            typed.map((r) => r.typingMs!),
            50,
          ),
          typing_p95_ms: percentile(
            typed.map((r) => r.typingMs!),
            95,
          ),
          typing_same_answer: typed.filter((r) => r.typingSame).length / typed.length,
        }),
    tokens_per_forward: forwards === 0 ? 0 : tokens / forwards,
    exact_match_ungated: rows.filter((r) => r.exactUngated).length / rows.length,
    edit_similarity_ungated: rows.reduce((s, r) => s + r.similarityUngated, 0) / rows.length,
    edit_similarity_shown_ungated: mean(rows.filter((r) => r.shownUngated).map((r) => r.similarityUngated)),
    shown_ungated: rows.filter((r) => r.shownUngated).length / rows.length,
    adds_syntax_error_ungated: verdictShare(rows, 'verdictUngated', (v) => v === 'wrong'),
    adds_syntax_error: verdictShare(rows, 'verdict', (v) => v === 'wrong'),
    any_new_error_ungated: verdictShare(rows, 'verdictUngated', (v) => v !== 'clean'),
    any_new_error: verdictShare(rows, 'verdict', (v) => v !== 'clean'),
  };
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

/** The share of checked shown suggestions (before or after the gate) whose verdict passes `yes`. */
function verdictShare(rows: Row[], field: 'verdict' | 'verdictUngated', yes: (v: Verdict['kind']) => boolean): number {
  const judged = rows.map((r) => r[field]).filter((v) => v !== null);
  return judged.length === 0 ? 0 : judged.filter(yes).length / judged.length;
}

/** Judges each shown suggestion with fresh parses, apart from the gate's own incremental ones. */
const judge = new SyntaxGate((m) => console.error(m));

export const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };

/**
 * A completion brain as the server builds it (main.ts): the memory brain (`memory`, when the caller wants to read its
 * state), with the default budget, decides what the context keeps.
 */
export function serverBrain(registry: ModelRegistry, memory = new MemoryBrain(registry)): CompletionBrain {
  memory.configure(defaultSettings.memory);
  return new CompletionBrain(registry, { memory });
}

/** Runs `system` (a key of `systems`) with the models of `registry`; `name` labels its documents and errors. */
async function runSystem(system: string, name: string, cases: Case[], registry: ModelRegistry, maxContextTokens: number): Promise<Row[]> {
  const brain = serverBrain(registry);
  const settings = { ...defaultSettings.completion, ...systems[system], maxContextTokens };
  const rows: Row[] = [];
  for (const c of cases) {
    const doc = TextDocument.create(`file:///bench/${slug(name)}/${c.id}`, c.language, 1, c.prefix + c.suffix);
    const t0 = performance.now();
    // The case's kind picks single- or multi-line mode, as in training/completion/eval.py (the cursor
    // sits at column 0 of the line after the gap, where the editor alone would always pick multi-line).
    const out = await brain.complete(doc, doc.positionAt(c.prefix.length), settings, token, {
      mode: c.kind,
      singleLineCanvas,
      multiLineCanvas,
      ...systemOptions[system],
    });
    const ms = performance.now() - t0;
    const got = (out.items[0]?.insertText as string | undefined) ?? '';
    brain.clearSuggestions();
    const t1 = performance.now();
    const warm = await brain.complete(doc, doc.positionAt(c.prefix.length), settings, token, {
      mode: c.kind,
      singleLineCanvas,
      multiLineCanvas,
      ...systemOptions[system],
    });
    const warmMs = performance.now() - t1;
    const warmGot = (warm.items[0]?.insertText as string | undefined) ?? '';
    if (warmGot !== got) throw new Error(`${name} ${c.id}: the warm answer ${JSON.stringify(warmGot)} differs from the cold ${JSON.stringify(got)}`);
    brain.forget(doc.uri);
    const typing = typingSystems.includes(system) ? await typingFlow(brain, name, c, settings) : null;
    const want = c.middle.trimEnd();
    const offset = c.prefix.length;
    const replace = out.items[0] ? doc.offsetAt(out.items[0].range!.end) - offset : 0;
    const verdict = async (s: { text: string; replace: number }) =>
      s.text.trim() === '' ? null : ((await judge.verdictFresh(c.language, doc.getText(), offset, s))?.kind ?? null);
    rows.push({
      c,
      ms,
      warmMs,
      exact: got.trimEnd() === want,
      similarity: editSimilarity(got.trimEnd(), want),
      shown: got.trim() !== '',
      forwards: out.forwards,
      tokens: out.tokens,
      typingMs: typing?.ms ?? null,
      typingSame: typing?.text === got,
      exactUngated: out.unchecked.text.trimEnd() === want,
      similarityUngated: editSimilarity(out.unchecked.text.trimEnd(), want),
      shownUngated: out.unchecked.text.trim() !== '',
      verdictUngated: await verdict(out.unchecked),
      verdict: await verdict({ text: got, replace }),
      got,
      ungated: out.unchecked.text,
      confidence: out.confidence,
    });
  }
  return rows;
}

/**
 * The typing flow: the user typed the line above the cursor (a request at its end leaves that context in memory),
 * then pressed Enter; the server hears of the edit as from didChange, and the request comes after the client's
 * debounce. Its time is what the user waits for after Enter: what the edit changed (the prefix gains a line, the
 * suffix moves) is encoded during the debounce, if the server keeps up. Cases whose prefix does not end a line
 * are skipped.
 */
async function typingFlow(
  brain: CompletionBrain,
  name: string,
  c: Case,
  settings: NanomindSettings['completion'],
): Promise<{ ms: number; text: string } | null> {
  if (!c.prefix.endsWith('\n')) return null;
  const uri = `file:///bench/${slug(name)}/${c.id}/typing`;
  const before = TextDocument.create(uri, c.language, 1, c.prefix.slice(0, -1) + c.suffix);
  brain.prepare(before, settings); // didOpen
  await brain.complete(before, before.positionAt(c.prefix.length - 1), settings, token, { mode: 'single_line', singleLineCanvas });
  // didChange: Enter at the end of that line, as the editor sends it; the server reads where it ends (main.ts).
  const enter = { range: { start: before.positionAt(c.prefix.length - 1), end: before.positionAt(c.prefix.length - 1) }, text: '\n' };
  const after = TextDocument.update(TextDocument.create(uri, c.language, 1, before.getText()), [enter], 2);
  brain.prepare(after, settings, changeEnd(after, [enter]));
  await new Promise((r) => setTimeout(r, clientDebounceMs));
  const t = performance.now();
  const out = await brain.complete(after, after.positionAt(c.prefix.length), settings, token, { mode: c.kind, singleLineCanvas, multiLineCanvas });
  const ms = performance.now() - t;
  if (process.env.DEBUG_TYPING) console.error(`typing ${c.id} ${ms.toFixed(0)} ms encoded ${out.encoded} forwards ${out.forwards}`);
  brain.forget(uri);
  return { ms, text: (out.items[0]?.insertText as string | undefined) ?? '' };
}

async function main(): Promise<void> {
  const registry = new ModelRegistry(process.env.NANOMIND_MODELS_DIR || path.join(root, 'models'));
  const status = await registry.status('completion');
  if (status.state !== 'ready') throw new Error(`the completion brain is not ready: ${status.detail}`);
  const cases = loadCases();
  const modelsDir = process.env.NANOMIND_MODELS_DIR || 'models';
  const result: Record<string, unknown> = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: modelsDir,
    cases: cases.length,
    cases_file: `bench/data/${casesFile}`,
    threshold,
    singleLineThreshold,
    context,
    systems: {},
  };
  const table: string[] = [];
  const modelSets: { suffix: string; registry: ModelRegistry; context: number }[] = [{ suffix: '', registry, context }];
  if (candidateDir) {
    const candidate = new ModelRegistry(path.resolve(candidateDir));
    const cs = await candidate.status('completion');
    if (cs.state !== 'ready') throw new Error(`the candidate's completion brain is not ready: ${cs.detail}`);
    modelSets.push({ suffix: ' (candidate)', registry: candidate, context: candidateContext });
    result.candidate = candidateDir;
    result.candidate_context = candidateContext;
  }
  const runs = modelSets.flatMap((m) =>
    Object.keys(systems)
      .filter((n) => (only ? only.includes(n) : !exploratory.test(n)))
      .map((n) => ({ ...m, name: n })),
  );
  for (const { suffix, registry, context: maxContextTokens, name: system } of runs) {
    const name = system + suffix;
    if (systems[system].decoder === 'autoregressive' && !(await registry.hasFile('completion', 'ar'))) {
      (result.systems as Record<string, unknown>)[name] = { unavailable: "no 'ar' file for completion in the manifest or on disk" };
      table.push(`| ${name} | — | — | not run: no 'ar' file in the manifest or on disk | | | | | | | | | |`);
      continue;
    }
    const rows = await runSystem(system, name, cases, registry, maxContextTokens);
    if (dumpFile) {
      const lines = rows.map((r) =>
        JSON.stringify({
          system: name,
          id: r.c.id,
          language: r.c.language,
          kind: r.c.kind,
          want: r.c.middle,
          shown: r.got,
          decoded: r.ungated,
          exact: r.exact,
          confidence: r.confidence,
        }),
      );
      appendFileSync(dumpFile, lines.join('\n') + '\n');
    }
    const byKind = Object.fromEntries(['single_line', 'multi_line'].map((k) => [k, score(rows.filter((r) => r.c.kind === k))]));
    // Per language: all its cases, and each kind apart (single_line, multi_line: the same fields as byKind).
    const byLanguage: Record<string, Score & { single_line: Score; multi_line: Score }> = Object.fromEntries(
      ['typescript', 'javascript', 'python'].map((l) => {
        const mine = rows.filter((r) => r.c.language === l);
        const kind = (k: string) => score(mine.filter((r) => r.c.kind === k));
        return [l, { ...score(mine), single_line: kind('single_line'), multi_line: kind('multi_line') }];
      }),
    );
    (result.systems as Record<string, unknown>)[name] = { ...score(rows), ...byKind, by_language: byLanguage };
    const languageRows = Object.entries(byLanguage).flatMap(([l, v]) => [
      [`${l} single_line`, v.single_line],
      [`${l} multi_line`, v.multi_line],
    ]);
    for (const [label, s] of ([['all', score(rows)], ...Object.entries(byKind), ...languageRows] as [string, Score][]).filter(([, s]) => s.n > 0)) {
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      table.push(
        `| ${name} | ${label} | ${s.n} | ${pct(s.exact_match)} (${pct(s.exact_match_ungated)}) | ${s.edit_similarity.toFixed(3)} (${s.edit_similarity_ungated.toFixed(3)}) | ${(100 * s.shown).toFixed(0)}% / ${s.edit_similarity_shown.toFixed(3)} (${(100 * s.shown_ungated).toFixed(0)}% / ${s.edit_similarity_shown_ungated.toFixed(3)}) | ${pct(s.adds_syntax_error)} (${pct(s.adds_syntax_error_ungated)}) | ${pct(s.any_new_error)} (${pct(s.any_new_error_ungated)}) | ${s.p50_ms.toFixed(0)} / ${s.p95_ms.toFixed(0)} | ${s.warm_p50_ms.toFixed(0)} / ${s.warm_p95_ms.toFixed(0)} | ${s.typing_p50_ms === undefined ? '—' : `${s.typing_p50_ms.toFixed(0)} / ${s.typing_p95_ms!.toFixed(0)}`} | ${s.typing_same_answer === undefined ? '—' : pct(s.typing_same_answer)} | ${s.tokens_per_forward.toFixed(2)} |`,
      );
    }
  }
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  // Partial runs (--limit, --systems, --threshold, ...) go to their own file; the full default run is the record.
  const partial =
    Number.isFinite(limit) ||
    only ||
    candidateDir ||
    arg('--threshold') !== undefined ||
    arg('--single-threshold') !== undefined ||
    singleLineCanvas !== undefined ||
    multiLineCanvas !== undefined ||
    contextChanged ||
    split !== 'heldout' ||
    openLines ||
    kinds;
  const out =
    outName ??
    (partial
      ? `completion-partial${split === 'tuning' ? '-tuning' : ''}${openLines ? '-open-lines' : ''}-t${threshold}-s${singleLineThreshold}-n${cases.length}${candidateDir ? '-candidate' : ''}${singleLineCanvas ? `-c${singleLineCanvas}` : ''}${multiLineCanvas ? `-m${multiLineCanvas}` : ''}${contextChanged ? `-ctx${context}-${candidateContext}` : ''}.json`
      : 'completion.json');
  writeFileSync(path.join(root, 'bench', 'results', out), JSON.stringify(result, null, 2) + '\n');
  console.log(`machine: ${result.machine}`);
  console.log(
    '| system | cases | n | exact match (before the syntax gate) | edit similarity (before) | shown / its edit similarity (before) | shown adding a syntax error (before) | shown leaving any new error, unfinished code too (before) | cold p50 / p95 ms | warm p50 / p95 ms | after Enter p50 / p95 ms | after Enter = cold | tokens/forward |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const line of table) console.log(line);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** A system's name as one URI path segment ("diffusion (candidate)" -> "diffusion-candidate"). */
function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-|-$/g, '');
}
