// The context the completion model reads around the cursor, laid out the way the model was trained:
// training spans start at the first token of a line and end at the first token of a later line. So the
// prefix stops at the START of the cursor line, the text typed on that line (`typed`) goes onto the
// canvas as given tokens, and the suffix starts at the cursor, or at the next line when only blanks
// follow the cursor (the model then writes the rest of the line and its line break). A cursor in the
// middle of a word is fine: the line is tokenized from its start, and the sampler "heals" the last
// typed token (see sampler.ts). Budget: three quarters of the tokens before, one quarter after.
// Windows are cut at line boundaries before tokenizing, so a window edge never splits a token.
//
// Stable while typing: the model's per-document memory is reused chunk by chunk (diffusion.ts), which only
// pays off if the prefix keeps its first token while the cursor moves on. So the prefix window starts on a
// 1024-character grid (not at a fixed distance from the cursor) and, when over budget, sheds whole chunks
// from its start: the prefix is budget - chunk + 1 to budget tokens long, and a new line typed below leaves
// every earlier chunk as it was, until the prefix crosses a chunk boundary or the grid moves.
import type { CodeTokenizer } from '../runtime/tokenizer';

export interface ContextWindow {
  prefixIds: number[];
  suffixIds: number[];
  /** The exact text the ids stand for, and where each starts in the document. */
  prefix: string;
  suffix: string;
  prefixStart: number;
  suffixStart: number;
  /** The cursor line's text before the cursor that sits on the canvas ('' when it went into the prefix). */
  typed: string;
  typedIds: number[];
  /** The cursor line's text before and after the cursor. */
  linePrefix: string;
  lineSuffix: string;
}

/** Generous characters per token for slicing before tokenizing; the token budget is applied after. */
const charsPerTokenBound = 8;
/** A longer typed line goes into the prefix instead (the canvas holds at most 64 tokens). */
const maxTypedTokens = 40;
/** The prefix window's first line is the first after a multiple of this many characters. */
const startGrid = 1024;

/** `chunk`: the prefix sheds tokens from its start in multiples of this (the model's encode chunk). */
export function contextWindow(text: string, offset: number, budget: number, tokenizer: CodeTokenizer, chunk = 1): ContextWindow {
  const cursor = Math.max(0, Math.min(offset, text.length));
  const prefixBudget = Math.ceil((budget * 3) / 4);
  const suffixBudget = budget - prefixBudget;

  // Cut the windows at line boundaries inside the character bound; a single giant line (minified or
  // binary text) is cut mid-line instead, so the work stays bounded whatever the document.
  const maxPrefixChars = prefixBudget * charsPerTokenBound;
  let from = Math.max(0, Math.floor((cursor - maxPrefixChars) / startGrid) * startGrid);
  if (from > 0) {
    const nl = text.indexOf('\n', from);
    if (nl >= 0 && nl < cursor) from = nl + 1;
  }
  const lineStart = Math.max(from, text.lastIndexOf('\n', cursor - 1) + 1);
  const nextNewline = text.indexOf('\n', cursor);
  const lineEnd = nextNewline < 0 ? text.length : nextNewline;
  const linePrefix = text.slice(lineStart, cursor);
  const lineSuffix = text.slice(cursor, lineEnd);

  let typed = linePrefix;
  let typedIds = tokenizer.encode(typed);
  let prefixEnd = lineStart;
  if (typedIds.length > maxTypedTokens) {
    typed = '';
    typedIds = [];
    prefixEnd = cursor;
  }
  let prefix = text.slice(from, prefixEnd);
  let prefixIds = tokenizer.encode(prefix);
  if (prefixIds.length > prefixBudget) {
    prefixIds = prefixIds.slice(Math.ceil((prefixIds.length - prefixBudget) / chunk) * chunk);
    prefix = tokenizer.decode(prefixIds);
  }

  // Only blanks after the cursor: the suffix is the next line on (the blanks are the model's to write).
  const suffixStart = lineSuffix.trim() === '' && typed === linePrefix ? Math.min(text.length, lineEnd + 1) : cursor;
  const maxSuffixChars = suffixBudget * charsPerTokenBound;
  let to = Math.min(text.length, suffixStart + maxSuffixChars);
  if (to < text.length) {
    const nl = text.lastIndexOf('\n', to);
    if (nl > suffixStart) to = nl;
  }
  let suffix = suffixBudget > 0 ? text.slice(suffixStart, to) : '';
  let suffixIds = tokenizer.encode(suffix);
  if (suffixIds.length > suffixBudget) {
    suffixIds = suffixIds.slice(0, suffixBudget);
    suffix = tokenizer.decode(suffixIds);
  }
  return { prefixIds, suffixIds, prefix, suffix, prefixStart: prefixEnd - prefix.length, suffixStart, typed, typedIds, linePrefix, lineSuffix };
}
