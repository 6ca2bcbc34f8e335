// Benchmark: what the memory brain does at the product's defaults (a 512-token window, `nanomind.memory.budget` 1).
// Held-out single-line infills (bench/data/infill-heldout.jsonl.gz) go through the server's completion code twice,
// with the memory brain (as the server runs it) and without one, with the shipped models: how many of the window's
// context tokens it keeps, in how many cases it drops any, and whether the suggestions change (exact match and edit
// similarity both ways, and the number of answers that differ). A new completion model changes the attention the
// scorer reads, so this is re-run whenever the completion weights change.
// Usage: npm run bench:memory-defaults [-- --limit N] [--models DIR]
// Writes bench/results/memory-defaults.json and prints a table.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionBrain } from '../server/src/completion';
import { MemoryBrain } from '../server/src/memory';
import { defaultSettings } from '../server/src/protocol';
import { ModelRegistry } from '../server/src/runtime/models';
import { arg, editSimilarity, readCases, serverBrain, spread, token } from './completion';
import { machineDescription, writeResult } from './machine';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const dir = path.resolve(arg('--models') ?? path.join(root, 'models'));
  const limit = Number(arg('--limit') ?? 300);
  const cases = spread(
    readCases('infill-heldout.jsonl.gz').filter((c) => c.kind === 'single_line'),
    limit,
  );
  const answers: Record<'with' | 'without', string[]> = { with: [], without: [] };
  let read = 0;
  let kept = 0;
  let casesWithDrops = 0;
  for (const side of ['with', 'without'] as const) {
    const registry = new ModelRegistry(dir);
    const memory = side === 'with' ? new MemoryBrain(registry) : undefined;
    const status = await registry.status('memory');
    if (memory && status.state !== 'ready') throw new Error(`the memory brain is not ready: ${status.detail}`);
    const brain = memory ? serverBrain(registry, memory) : new CompletionBrain(registry);
    for (const c of cases) {
      const doc = TextDocument.create(`file:///memory-defaults/${side}/${c.id}`, c.language, 1, c.prefix + c.suffix);
      const at = doc.positionAt(c.prefix.length);
      const out = await brain.complete(doc, at, defaultSettings.completion, token, { mode: c.kind });
      answers[side].push(((out.items[0]?.insertText as string | undefined) ?? '').trimEnd());
      if (!memory) continue;
      const report = await memory.report(doc, at);
      read += report.tokensRead ?? 0;
      kept += report.tokensKept ?? 0;
      if ((report.tokensKept ?? 0) < (report.tokensRead ?? 0)) casesWithDrops++;
    }
  }
  const score = (got: string[]) => ({
    exact_match: got.filter((g, i) => g === cases[i].middle.trimEnd()).length / cases.length,
    edit_similarity: got.reduce((sum, g, i) => sum + editSimilarity(g, cases[i].middle.trimEnd()), 0) / cases.length,
  });
  const result = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: dir,
    cases: cases.length,
    settings: { maxContextTokens: defaultSettings.completion.maxContextTokens, budget: defaultSettings.memory.budget },
    tokens_read: read,
    tokens_kept: kept,
    kept_fraction: kept / Math.max(1, read),
    cases_with_drops: casesWithDrops,
    with_memory: score(answers.with),
    without_memory: score(answers.without),
    answers_that_differ: answers.with.filter((a, i) => a !== answers.without[i]).length,
  };
  console.log(`machine: ${result.machine}`);
  console.log('| memory brain | cases | exact match | edit similarity | context tokens kept | cases with drops |');
  console.log('|---|---|---|---|---|---|');
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `| on | ${cases.length} | ${pct(result.with_memory.exact_match)} | ${result.with_memory.edit_similarity.toFixed(3)} | ${kept} of ${read} (${pct(result.kept_fraction)}) | ${casesWithDrops} |`,
  );
  console.log(`| off | ${cases.length} | ${pct(result.without_memory.exact_match)} | ${result.without_memory.edit_similarity.toFixed(3)} | all | 0 |`);
  console.log(`answers that differ: ${result.answers_that_differ} of ${cases.length}`);
  writeResult('memory-defaults.json', result);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
