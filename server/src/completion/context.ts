// The context the completion model reads around the cursor: up to a token budget of text before
// it (three quarters) and after it (one quarter). Windows are cut at line boundaries before
// tokenizing, so a window edge never splits a token, and the prefix is tokenized up to the cursor
// even when the cursor sits inside a word.
import type { CodeTokenizer } from '../runtime/tokenizer';

export interface ContextWindow {
  prefixIds: number[];
  suffixIds: number[];
  /** The exact text the ids stand for. */
  prefix: string;
  suffix: string;
  /** The cursor line's text before and after the cursor. */
  linePrefix: string;
  lineSuffix: string;
}

/** Generous characters per token for slicing before tokenizing; the token budget is applied after. */
const charsPerTokenBound = 8;

export function contextWindow(text: string, offset: number, budget: number, tokenizer: CodeTokenizer): ContextWindow {
  const cursor = Math.max(0, Math.min(offset, text.length));
  const prefixBudget = Math.ceil((budget * 3) / 4);
  const suffixBudget = budget - prefixBudget;

  // Cut the windows at line boundaries inside the character bound; a single giant line (minified or
  // binary text) is cut mid-line instead, so the work stays bounded whatever the document.
  const maxPrefixChars = prefixBudget * charsPerTokenBound;
  let from = Math.max(0, cursor - maxPrefixChars);
  if (from > 0) {
    const nl = text.indexOf('\n', from);
    if (nl >= 0 && nl < cursor) from = nl + 1;
  }
  const maxSuffixChars = suffixBudget * charsPerTokenBound;
  let to = Math.min(text.length, cursor + maxSuffixChars);
  if (to < text.length) {
    const nl = text.lastIndexOf('\n', to);
    if (nl > cursor) to = nl;
  }

  let prefix = text.slice(from, cursor);
  let prefixIds = tokenizer.encode(prefix);
  if (prefixIds.length > prefixBudget) {
    prefixIds = prefixIds.slice(prefixIds.length - prefixBudget);
    prefix = tokenizer.decode(prefixIds);
  }
  let suffix = suffixBudget > 0 ? text.slice(cursor, to) : '';
  let suffixIds = tokenizer.encode(suffix);
  if (suffixIds.length > suffixBudget) {
    suffixIds = suffixIds.slice(0, suffixBudget);
    suffix = tokenizer.decode(suffixIds);
  }
  const lineStart = Math.max(from, text.lastIndexOf('\n', cursor - 1) + 1);
  const nextNewline = text.indexOf('\n', cursor);
  const lineEnd = Math.min(to, nextNewline < 0 ? text.length : nextNewline);
  return {
    prefixIds,
    suffixIds,
    prefix,
    suffix,
    linePrefix: text.slice(lineStart, cursor),
    lineSuffix: text.slice(cursor, lineEnd),
  };
}
