// Writes the out-of-distribution puzzle sets of bench/ood/sets.ts into bench/data/ (fixed seeds: the
// same files every run). Usage: npm run bench:ood-sets [-- --only NAME]
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parsePuzzle } from '../../server/src/reasoning/puzzle';
import { PUZZLE_SETS } from './sets';

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
for (const set of PUZZLE_SETS) {
  if (!set.make || (only && set.name !== only)) continue;
  const started = performance.now();
  const items = set.make();
  items.forEach((text, i) => {
    const parsed = parsePuzzle(set.family === 'sudoku' ? text.match(/.{9}/g)!.join('\n') : text, { languageId: set.family });
    if (parsed.kind === 'error') throw new Error(`${set.name} #${i} does not parse: ${parsed.message}`);
  });
  writeFileSync(path.join(__dirname, '..', 'data', set.file), items.join(set.family === 'sudoku' ? '\n' : '\n\n') + '\n');
  console.log(`${set.name}: ${items.length} puzzles → bench/data/${set.file} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
