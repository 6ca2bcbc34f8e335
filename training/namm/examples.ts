// Training examples for the NAMM evolution (training/namm/evolve.py): long-context infill cases from
// TRAINING-split files only (training/data/CORPUS.md: the Python standard library minus the modules held out in
// training/data/python_holdout.txt, and npm packages of the train split), cut by bench/memoryCases.ts and
// tokenized with the shipped tokenizer. Writes JSON lines: ids plus, per context token, whether it ends a line.
//   node --import tsx training/namm/examples.ts OUT.jsonl [--count 48] [--context 1024] [--seed 1]
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ModelRegistry } from '../../server/src/runtime/models';
import { sharedTokenizer } from '../../server/src/runtime/sharedTokenizer';
import { casesFromFile } from '../../bench/memoryCases';

const root = path.resolve(__dirname, '..', '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

/** Where the standard library of this Python lives (the corpus builder read the same one). */
function stdlibDir(): string {
  const candidates = [process.env.NAMM_STDLIB, '/root/.pyenv/versions/3.11.7/lib/python3.11', '/usr/lib/python3.11'];
  const found = candidates.find((d) => d && statSync(d, { throwIfNoEntry: false })?.isDirectory());
  if (!found) throw new Error('no Python 3.11 standard library found; set NAMM_STDLIB');
  return found;
}

export function trainingFiles(): { file: string; id: string }[] {
  const held = new Set(
    readFileSync(path.join(root, 'training/data/python_holdout.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('stdlib:'))
      .map((l) => l.slice('stdlib:'.length).trim()),
  );
  const std = stdlibDir();
  const files = readdirSync(std)
    .filter((f) => f.endsWith('.py') && !f.startsWith('_sysconfigdata') && !held.has(f.replace(/\.py$/, '')))
    .map((f) => ({ file: path.join(std, f), id: `stdlib:${f}` }));
  // commander is in the corpus's train split (training/data/CORPUS.md); its sources ship in node_modules.
  const commander = path.join(root, 'node_modules/commander/lib');
  for (const f of statSync(commander, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(commander) : []) {
    if (f.endsWith('.js')) files.push({ file: path.join(commander, f), id: `npm:commander/lib/${f}` });
  }
  return files.filter((f) => statSync(f.file).size >= 24_000).sort((a, b) => a.id.localeCompare(b.id));
}

async function main() {
  const out = process.argv[2];
  if (!out || out.startsWith('--')) throw new Error('usage: examples.ts OUT.jsonl [--count N] [--context T] [--seed S]');
  const count = Number(arg('--count', '48'));
  const contextTokens = Number(arg('--context', '1024'));
  const seed = Number(arg('--seed', '1'));
  const tokenizer = await sharedTokenizer(new ModelRegistry(path.join(root, 'models')));
  const ends = (ids: number[]) => ids.map((id) => tokenizer.decode([id]).includes('\n'));
  const lines: string[] = [];
  const files = trainingFiles();
  for (let i = 0; lines.length < count && i < files.length * 4; i++) {
    const f = files[(i * 7919) % files.length];
    for (const c of casesFromFile(f.file, f.id, tokenizer, { contextTokens, minCursorTokens: contextTokens, perFile: 1, seed: seed + i })) {
      if (lines.length >= count) break;
      lines.push(JSON.stringify({ id: c.id, language: c.language, prefix: c.prefixIds, suffix: c.suffixIds, middle: c.middleIds,
        prefix_ends_line: ends(c.prefixIds), suffix_ends_line: ends(c.suffixIds) }));
    }
  }
  writeFileSync(out, lines.join('\n') + '\n');
  console.log(`wrote ${lines.length} examples from ${files.length} training-split files to ${out}`);
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
