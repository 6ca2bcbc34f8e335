// Benchmark: which mode (one line or a block) the server should ask the model for when the cursor is at the end
// of a line that ends with an opening bracket or an arrow. completionMode (server/src/completion/postprocess.ts)
// decides it from the cursor line alone; this measures both answers on TRAINING-split files
// (bench/data/infill-tuning.jsonl.gz), so the rule is not chosen on the held-out cases that judge the model.
//
// Two situations end a line with an opener while the user types, both cut from the tuning cases:
//   typing  the user typed up to and including an opener in the middle of a line (`users.map(`), and the rest of
//           that line is what they want: the line's rest is removed from the document, as it is not typed yet.
//           Judged as bench:snippets judges: the cursor's line after Tab equals the true line.
//   block   the line really ends with the opener and the next lines are its body or arguments; the cursor is at
//           the line's end and the lines below it are not typed yet. Judged on the whole suggestion against
//           the lines that follow (exact match and edit similarity after trimming), nothing shown scoring 0.
// Both modes run on every case (the server's own CompletionBrain, shipped settings); the table gives, per opener,
// how often each situation occurs among the tuning files' lines and how well each mode does in it.
// Usage: npm run bench:completion-mode [-- --models DIR] [--limit N]
// Writes bench/results/completion-mode.json and prints a table.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionMode } from '../server/src/completion/postprocess';
import { defaultSettings } from '../server/src/protocol';
import { ModelRegistry } from '../server/src/runtime/models';
import { arg, editSimilarity, readCases, serverBrain, spread, token, type Case } from './completion';
import { machineDescription, writeResult } from './machine';
import { judge } from './snippets';

const root = path.resolve(__dirname, '..');

/** The openers whose mode is in question, as completionMode matches them at a line's end. */
/** (`${`, a template string's substitution, before `{`: the first that matches is the one.) */
const openers = ['(', '[', '${', '{', '=>', ':'] as const;
type Opener = (typeof openers)[number];

interface ModeCase {
  id: string;
  language: Case['language'];
  opener: Opener;
  situation: 'typing' | 'block';
  /** The document as the user has it, with the cursor at `at`. */
  text: string;
  at: number;
  /** typing: the rest of the cursor's line; block: the lines that follow (without the first line break). */
  truth: string;
}

/** The opener a line's text (cut at the cursor) ends with, as completionMode would see it; null if none. */
export function endingOpener(linePrefix: string): Opener | null {
  if (/\s$/.test(linePrefix)) return null; // the user typed a space after it: not the moment in question
  return openers.find((o) => linePrefix.endsWith(o)) ?? null;
}

/** The typing case of a single-line case: cut its line after the first opener that has code after it. */
export function typingCase(c: Case): ModeCase | null {
  const line = c.middle.replace(/\r?\n$/, '');
  for (let i = 1; i < line.length; i++) {
    const head = line.slice(0, i);
    const opener = endingOpener(head);
    if (!opener || head.trim() === opener || line.slice(i).trim() === '') continue;
    return {
      id: c.id,
      language: c.language,
      opener,
      situation: 'typing',
      text: c.prefix + head + '\n' + c.suffix,
      at: c.prefix.length + i,
      truth: line.slice(i),
    };
  }
  return null;
}

/** The block case of a multi-line case whose line above ends with an opener: the cursor at that line's end. */
export function blockCase(c: Case): ModeCase | null {
  if (!c.prefix.endsWith('\n')) return null;
  const above = c.prefix.slice(0, -1);
  const opener = endingOpener(above.slice(above.lastIndexOf('\n') + 1));
  if (!opener || c.middle.trim() === '') return null;
  return { id: c.id, language: c.language, opener, situation: 'block', text: above + '\n' + c.suffix, at: above.length, truth: c.middle.replace(/\s+$/, '') };
}

interface Answer {
  id: string;
  opener: Opener;
  situation: ModeCase['situation'];
  mode: CompletionMode;
  shown: string;
  right: boolean;
  editSimilarity: number;
}

async function answer(brain: ReturnType<typeof serverBrain>, c: ModeCase, mode: CompletionMode): Promise<Answer> {
  const doc = TextDocument.create(`file:///mode/${mode}/${c.id}`, c.language, 1, c.text);
  const out = await brain.complete(doc, doc.positionAt(c.at), defaultSettings.completion, token, { mode });
  brain.forget(doc.uri);
  const item = out.items[0];
  const shown = (item?.insertText as string | undefined) ?? '';
  const end = item?.range ? doc.offsetAt(item.range.end) : c.at;
  const base = { id: c.id, opener: c.opener, situation: c.situation, mode, shown };
  if (c.situation === 'typing') return { ...base, ...judge(c.text, c.at, shown, end, [c.truth]) };
  // block: what the suggestion adds after the cursor's line, against the lines that follow
  const got = shown.replace(/^[^\S\n]*\n/, '').replace(/\s+$/, '');
  return { ...base, right: got !== '' && got === c.truth, editSimilarity: got === '' ? 0 : editSimilarity(got, c.truth) };
}

/** How often each opener ends a typed-so-far line (any line position) vs a whole line, over the tuning files' text. */
function frequencies(cases: Case[]): Record<Opener, { typing: number; block: number }> {
  const out = Object.fromEntries(openers.map((o) => [o, { typing: 0, block: 0 }])) as Record<Opener, { typing: number; block: number }>;
  const seen = new Set<string>();
  for (const c of cases) {
    for (const line of (c.prefix + c.middle + c.suffix).split('\n')) {
      const key = `${c.id.split(':').slice(1, -1).join(':')}\u0000${line}`;
      if (seen.has(key)) continue; // each file's line once, though cases of one file overlap
      seen.add(key);
      const end = endingOpener(line);
      if (end && line.trim() !== end) out[end].block++;
      for (let i = 1; i < line.length; i++) {
        const o = endingOpener(line.slice(0, i));
        if (o && line.slice(i).trim() !== '' && line.slice(0, i).trim() !== o) out[o].typing++;
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const all = readCases('infill-tuning.jsonl.gz');
  const cases = [...all.filter((c) => c.kind === 'single_line').map(typingCase), ...all.filter((c) => c.kind === 'multi_line').map(blockCase)].filter(
    (c): c is ModeCase => c !== null,
  );
  const chosen = spread(cases, Number(arg('--limit') ?? Infinity));
  const dir = path.resolve(arg('--models') ?? path.join(root, 'models'));
  const registry = new ModelRegistry(dir);
  const status = await registry.status('completion');
  if (status.state !== 'ready') throw new Error(`${dir}: the completion brain is not ready: ${status.detail}`);
  const brain = serverBrain(registry);
  const answers: Answer[] = [];
  for (const c of chosen) for (const mode of ['single_line', 'multi_line'] as const) answers.push(await answer(brain, c, mode));

  const freq = frequencies(all);
  const rows = openers.flatMap((opener) =>
    (['typing', 'block'] as const).map((situation) => {
      const of = (mode: CompletionMode) => {
        const a = answers.filter((x) => x.opener === opener && x.situation === situation && x.mode === mode);
        return {
          n: a.length,
          exact_match: a.filter((x) => x.right).length / Math.max(1, a.length),
          edit_similarity: a.reduce((s, x) => s + x.editSimilarity, 0) / Math.max(1, a.length),
          shown: a.filter((x) => x.shown.trim() !== '').length / Math.max(1, a.length),
        };
      };
      return { opener, situation, lines_in_tuning_files: freq[opener][situation], single_line: of('single_line'), multi_line: of('multi_line') };
    }),
  );
  console.log(`machine: ${machineDescription()}`);
  console.log('| opener | situation | lines in tuning files | cases | one line: EM / ES / shown | block: EM / ES / shown |');
  console.log('|---|---|---|---|---|---|');
  const cell = (s: { exact_match: number; edit_similarity: number; shown: number }) =>
    `${(100 * s.exact_match).toFixed(1)}% / ${s.edit_similarity.toFixed(3)} / ${(100 * s.shown).toFixed(0)}%`;
  for (const r of rows)
    console.log(`| \`${r.opener}\` | ${r.situation} | ${r.lines_in_tuning_files} | ${r.single_line.n} | ${cell(r.single_line)} | ${cell(r.multi_line)} |`);
  writeResult(arg('--out') ?? 'completion-mode.json', {
    machine: machineDescription(),
    date: new Date().toISOString(),
    models: dir,
    data: 'bench/data/infill-tuning.jsonl.gz (training split)',
    rows,
    answers,
  });
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
