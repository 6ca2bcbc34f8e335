// Long-context infill cases for the memory brain, cut from whole source files: a single line at least
// `minCursorTokens` into the file is the span; the context is up to `contextTokens` tokens around it (three
// quarters before, one quarter after, as the completion model reads it). Used by the benchmark on held-out
// packages (bench/memory.ts) and by the evolution on training-split files (training/namm/examples.ts), with
// the same rules. Deterministic for a seed.
import { readFileSync } from 'node:fs';
import { CharClass, classifyChars, tokenClass } from '../server/src/memory/lexer';
import type { CodeTokenizer } from '../server/src/runtime/tokenizer';
import { Rng } from './ood/rng';

export interface MemoryCase {
  id: string;
  language: string;
  prefixIds: number[];
  suffixIds: number[];
  middleIds: number[];
  /** The text the ids stand for, and where the span sits in the whole file. */
  prefix: string;
  suffix: string;
  middle: string;
  /** Per context token (prefix then suffix): its class by the lexer (memory/lexer.ts CharClass), and whether a
   * comment/blank-line stripper drops it (a comment, or whitespace on a line without code: indentation stays). */
  classes: CharClass[];
  strippable: boolean[];
}

export interface CaseOptions {
  contextTokens: number;
  minCursorTokens: number;
  perFile: number;
  seed: number;
  /** Longest span in tokens (the model's canvas is at most 64 slots). */
  maxSpanTokens?: number;
}

/** A small deterministic generator (bench/ood/rng.ts, mulberry32). */
export function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function languageOf(file: string): string | null {
  if (file.endsWith('.py')) return 'python';
  if (file.endsWith('.ts') && !file.endsWith('.d.ts')) return 'typescript';
  if (file.endsWith('.js')) return 'javascript';
  return null;
}

export function casesFromFile(file: string, id: string, tokenizer: CodeTokenizer, o: CaseOptions): MemoryCase[] {
  const language = languageOf(file);
  if (!language) return [];
  const text = readFileSync(file, 'utf8');
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  // Characters per token, measured on this file, to find lines far enough in without tokenizing every prefix.
  const perToken = text.length / Math.max(1, tokenizer.encode(text).length);
  const first = lineStarts.findIndex((s) => s >= o.minCursorTokens * perToken);
  if (first < 0) return [];
  const rand = random(o.seed ^ hash(id));
  const chars = classifyChars(text, language);
  const lineHasCode = (offset: number) => {
    const from = text.lastIndexOf('\n', offset - 1) + 1;
    const nl = text.indexOf('\n', offset);
    const to = nl < 0 ? text.length : nl;
    for (let k = from; k < to; k++) if (chars[k] === CharClass.Code) return true;
    return false;
  };
  const out: MemoryCase[] = [];
  const prefixBudget = Math.ceil((o.contextTokens * 3) / 4);
  const suffixBudget = o.contextTokens - prefixBudget;
  for (let attempt = 0; attempt < 40 && out.length < o.perFile; attempt++) {
    const line = first + Math.floor(rand() * (lineStarts.length - 1 - first));
    const start = lineStarts[line];
    const end = lineStarts[line + 1] ?? text.length;
    const middle = text.slice(start, end);
    if (middle.trim().length < 4 || !middle.endsWith('\n')) continue;
    const middleIds = tokenizer.encode(middle);
    if (middleIds.length > (o.maxSpanTokens ?? 40)) continue;
    const before = tokenizer.encode(text.slice(0, start));
    if (before.length < o.minCursorTokens) continue;
    const prefixIds = before.slice(-prefixBudget);
    const suffixIds = tokenizer.encode(text.slice(end, end + suffixBudget * 8)).slice(0, suffixBudget);
    const prefix = tokenizer.decode(prefixIds);
    const spans = [...tokenSpans(prefixIds, start - prefix.length, tokenizer), ...tokenSpans(suffixIds, end, tokenizer)];
    out.push({
      id: `${id}:${line + 1}`,
      language,
      prefixIds,
      suffixIds,
      middleIds,
      prefix,
      suffix: tokenizer.decode(suffixIds),
      middle,
      classes: spans.map(([a, b]) => tokenClass(chars, a, b)),
      strippable: spans.map(([a, b]) => {
        const c = tokenClass(chars, a, b);
        return c === CharClass.Comment || (c === CharClass.Whitespace && !lineHasCode(a));
      }),
    });
  }
  return out;
}

/** [from, to) in the file of each token, from `start` (decoded lengths; byte-level tokens of one character may
 * decode to less than it, the spans then stay within the file). */
function tokenSpans(ids: number[], start: number, tokenizer: CodeTokenizer): [number, number][] {
  const out: [number, number][] = [];
  let at = start;
  for (const id of ids) {
    const n = tokenizer.decode([id]).length;
    out.push([at, at + n]);
    at += n;
  }
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
