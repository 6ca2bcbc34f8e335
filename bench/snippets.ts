// Benchmark: the completion brain as a user meets it. Thirty short hand-written files (bench/data/typing-snippets.jsonl,
// written for this benchmark, not taken from any corpus) with the cursor in the middle of a line the user is typing,
// each with the answers a developer would accept (the rest of that line). Every snippet goes through the server's own
// code (CompletionBrain with the shipped settings: context window, typed-line healing, gate, post-processing, syntax
// gate), once per models folder, so old and new models are compared side by side in one run. An answer is right when
// the cursor's line after accepting it is the line with an accepted answer typed in (a suggestion that goes on past
// the line is judged by the line it finishes, which is what the user asked for); edit similarity compares that line
// with the line the first accepted answer makes.
// The held-out infills of bench:completion ask for a whole line from its first column; this set asks for what
// ghost text is mostly asked for: the end of a line already begun.
// Usage: npm run bench:snippets [-- --candidate DIR] [--names SHIPPED,CANDIDATE] [--without OPTION] [--out NAME]
// --without OPTION adds the shipped models with that CompleteOptions switch off (retryUnfinished, retryRepeat, redecode:
// the server's second answers), side by side in the same run.
// Writes bench/results/completion-snippets.json (or --out NAME there) and prints a table.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { defaultSettings } from '../server/src/protocol';
import type { CompleteOptions } from '../server/src/completion';
import { ModelRegistry } from '../server/src/runtime/models';
import { arg, editSimilarity, serverBrain, token } from './completion';
import { machineDescription, writeResult } from './machine';

const root = path.resolve(__dirname, '..');
const cursor = '<|>';

interface Snippet {
  id: string;
  language: 'python' | 'typescript' | 'javascript';
  /** The file's text with `<|>` where the cursor is. */
  text: string;
  /** The rest of the line a developer would accept; the first is the reference for edit similarity. */
  accept: string[];
}

interface Answer {
  id: string;
  shown: string;
  right: boolean;
  editSimilarity: number;
  ms: number;
}

function readSnippets(): Snippet[] {
  const lines = readFileSync(path.join(root, 'bench', 'data', 'typing-snippets.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  return lines.map((line, i) => {
    const s = JSON.parse(line) as Snippet;
    if (s.text.split(cursor).length !== 2 || !s.accept.length) throw new Error(`typing-snippets.jsonl line ${i + 1}: one ${cursor} and an answer needed`);
    return s;
  });
}

/** What the user would see, compared on the line's text (a trailing newline or spaces are not the user's concern). */
const norm = (s: string) => s.replace(/\s+$/, '');

/** The line of `text` that holds offset `at`, without its line break and trailing spaces. */
function cursorLine(text: string, at: number): string {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const end = text.indexOf('\n', at);
  return norm(text.slice(start, end < 0 ? undefined : end));
}

/**
 * Whether a suggestion is right: the cursor's line as the user would have it after Tab (`shown` replaces the text from
 * `at` to `end`, an auto-closed bracket say) against the line with an accepted answer typed in; and the edit
 * similarity of those lines (with the first accepted answer).
 */
export function judge(text: string, at: number, shown: string, end: number, accept: string[]): { right: boolean; editSimilarity: number } {
  const line = cursorLine(text.slice(0, at) + shown + text.slice(end), at);
  const wanted = accept.map((a) => cursorLine(text.slice(0, at) + a + text.slice(at), at));
  return { right: wanted.includes(line), editSimilarity: editSimilarity(line, wanted[0]) };
}

async function run(dir: string, snippets: Snippet[], options: CompleteOptions = {}): Promise<Answer[]> {
  const registry = new ModelRegistry(dir);
  const status = await registry.status('completion');
  if (status.state !== 'ready') throw new Error(`${dir}: the completion brain is not ready: ${status.detail}`);
  const brain = serverBrain(registry);
  const answers: Answer[] = [];
  for (const s of snippets) {
    const at = s.text.indexOf(cursor);
    const doc = TextDocument.create(`file:///snippets/${path.basename(dir)}/${s.id}`, s.language, 1, s.text.replace(cursor, ''));
    const t = performance.now();
    const out = await brain.complete(doc, doc.positionAt(at), defaultSettings.completion, token, options);
    const ms = performance.now() - t;
    const item = out.items[0];
    const shown = (item?.insertText as string | undefined) ?? '';
    const end = item?.range ? doc.offsetAt(item.range.end) : at;
    answers.push({ id: s.id, shown, ...judge(doc.getText(), at, shown, end, s.accept), ms });
  }
  return answers;
}

function summary(answers: Answer[], snippets: Snippet[]) {
  const of = (keep: (s: Snippet) => boolean) => {
    const rows = answers.filter((_, i) => keep(snippets[i]));
    return {
      n: rows.length,
      right: rows.filter((a) => a.right).length,
      shown: rows.filter((a) => a.shown).length,
      edit_similarity: rows.reduce((sum, a) => sum + a.editSimilarity, 0) / Math.max(1, rows.length),
    };
  };
  return { all: of(() => true), by_language: Object.fromEntries(['python', 'typescript', 'javascript'].map((l) => [l, of((s) => s.language === l)])) };
}

/** The server's second answers a column may switch off (--without). */
const switches = ['retryUnfinished', 'retryRepeat', 'redecode'] as const;

async function main(): Promise<void> {
  const snippets = readSnippets();
  // --names A,B labels the two folders in the table and the JSON (an older model given as --candidate, say).
  const [shippedName, candidateName] = arg('--names')?.split(',') ?? ['shipped', 'candidate'];
  const shipped = path.join(root, 'models');
  const columns: [string, string, CompleteOptions][] = [[shippedName, shipped, {}]];
  const without = arg('--without');
  if (without) {
    if (!switches.includes(without as (typeof switches)[number])) throw new Error(`--without: one of ${switches.join(', ')}`);
    columns.push([`${shippedName} without ${without}`, shipped, { [without]: false }]);
  }
  const candidate = arg('--candidate');
  if (candidate) columns.push([candidateName, path.resolve(candidate), {}]);
  const results: Record<string, { models: string; options: CompleteOptions; summary: ReturnType<typeof summary>; answers: Answer[] }> = {};
  for (const [name, dir, options] of columns) {
    const answers = await run(dir, snippets, options);
    results[name] = { models: dir, options, summary: summary(answers, snippets), answers };
  }
  const names = Object.keys(results);
  console.log(`machine: ${machineDescription()}`);
  console.log(`| snippet | wanted | ${names.join(' | ')} |`);
  console.log(`|---|---|${names.map(() => '---|').join('')}`);
  snippets.forEach((s, i) =>
    console.log(
      `| ${s.id} | \`${norm(s.accept[0])}\` | ${names.map((n) => `${results[n].answers[i].right ? '✓' : '✗'} \`${JSON.stringify(results[n].answers[i].shown).slice(1, -1)}\``).join(' | ')} |`,
    ),
  );
  for (const n of names) {
    const { all, by_language } = results[n].summary;
    const langs = Object.entries(by_language)
      .map(([l, v]) => `${l} ${v.right}/${v.n}`)
      .join(', ');
    console.log(`${n}: right ${all.right}/${all.n} (${langs}), shown ${all.shown}/${all.n}, edit similarity ${all.edit_similarity.toFixed(3)}`);
  }
  writeResult(arg('--out') ?? 'completion-snippets.json', {
    machine: machineDescription(),
    date: new Date().toISOString(),
    snippets: snippets.length,
    results,
  });
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
