// The code tokenizer shared by every completion model: models/tokenizer.json, a byte-level BPE trained by
// training/tokenizer/train_tokenizer.py. It runs on @huggingface/tokenizers (pure JS), which reads the same
// file as Python's `tokenizers` and must give the same ids (test/unit/tokenizer.test.ts checks this against
// ids recorded in Python).
//
// Two properties the editor relies on:
//  * decode(encode(text)) === text, byte for byte (indentation, tabs, CRLF, emoji). So: no normalizer, no
//    prefix space, and the library's "clean up tokenization spaces" pass (which turns "a .b" into "a.b")
//    is switched off.
//  * Text never turns into control tokens. <pad>, <eos>, <mask>, the FIM tokens and the reserved ones
//    live in the vocabulary at fixed ids but are not "added tokens", so a literal "<mask>" typed in a file
//    encodes as ordinary text. Model code inserts control tokens by id (see `special`).
import { promises as fs } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { textKey } from './textKey';

/** Control token names, in id order, as written by train_tokenizer.py. */
export const SPECIAL_TOKEN_NAMES = [
  '<pad>',
  '<eos>',
  '<mask>',
  '<fim_prefix>',
  '<fim_suffix>',
  '<fim_middle>',
  '<reserved_0>',
  '<reserved_1>',
  '<reserved_2>',
  '<reserved_3>',
] as const;
export type SpecialTokenName = (typeof SPECIAL_TOKEN_NAMES)[number];

export interface SpecialTokenIds {
  pad: number;
  eos: number;
  mask: number;
  fimPrefix: number;
  fimSuffix: number;
  fimMiddle: number;
  reserved: number[];
}

/** The tokenizer file is missing, unreadable or not a tokenizer this server can use. */
export class TokenizerLoadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`tokenizer ${file}: ${reason}`);
    this.name = 'TokenizerLoadError';
  }
}

interface TokenizerJson {
  model: { type: string; vocab: Record<string, number>; merges: unknown[] };
  pre_tokenizer: unknown;
  decoder: { type: string } | null;
  normalizer: unknown;
  added_tokens?: unknown[];
}

/** Encodings of texts at least this long are remembered (a context window's prefix and suffix). */
const memoMinLength = 256;
const memoSize = 16;

export class CodeTokenizer {
  /** Number of ids (embedding rows the model needs). */
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;

  private constructor(
    private readonly inner: Tokenizer,
    /** Entries in the vocabulary (checkShape found their ids to be 0..vocabSize-1). */
    vocabSize: number,
    file: string,
  ) {
    this.vocabSize = vocabSize;
    const id = (name: SpecialTokenName): number => {
      const v = this.tokenId(name);
      if (v === undefined) throw new TokenizerLoadError(file, `control token ${name} is missing from the vocabulary`);
      return v;
    };
    this.special = {
      pad: id('<pad>'),
      eos: id('<eos>'),
      mask: id('<mask>'),
      fimPrefix: id('<fim_prefix>'),
      fimSuffix: id('<fim_suffix>'),
      fimMiddle: id('<fim_middle>'),
      reserved: [id('<reserved_0>'), id('<reserved_1>'), id('<reserved_2>'), id('<reserved_3>')],
    };
  }

  /** Reads and checks a tokenizer.json file. Throws TokenizerLoadError naming the file and the reason. */
  static async fromFile(file: string): Promise<CodeTokenizer> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TokenizerLoadError(file, code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? String(err)})`);
    }
    return CodeTokenizer.fromText(text, file);
  }

  /** Builds the tokenizer from the file's text (e.g. bytes already sha256-checked by the model registry). */
  static fromText(text: string, file = 'tokenizer.json'): CodeTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new TokenizerLoadError(file, `not valid JSON (${(err as Error).message})`);
    }
    const { json: t, vocabSize } = checkShape(json, file);
    let inner: Tokenizer;
    try {
      inner = new Tokenizer(t, {});
    } catch (err) {
      throw new TokenizerLoadError(file, `rejected by @huggingface/tokenizers (${(err as Error).message})`);
    }
    return new CodeTokenizer(inner, vocabSize, file);
  }

  /** Token ids of `text`, with no control tokens added. */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    if (text.length < memoMinLength) return this.inner.encode(text, { add_special_tokens: false }).ids;
    // While the user types on one line, the context before that line and after the cursor is the same text
    // request after request: remember the last few long encodings (a copy goes out, so callers may edit it).
    // Keyed by digest: the text is usually a slice of a document, which would keep the whole document alive.
    const key = textKey(text);
    let ids = this.memo.get(key);
    if (ids) {
      this.memo.delete(key); // most recently used last
    } else {
      ids = this.inner.encode(text, { add_special_tokens: false }).ids;
      if (this.memo.size >= memoSize) this.memo.delete(this.memo.keys().next().value!);
    }
    this.memo.set(key, ids);
    return ids.slice();
  }

  private readonly memo = new Map<string, number[]>();

  /** The text of `ids`, exactly (control tokens, if any, come out as their names, e.g. "<eos>"). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    return this.inner.decode(ids as number[], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** Id of a vocabulary entry (a control token name or a byte-level token string), if any. */
  tokenId(token: string): number | undefined {
    // The library's own map of the vocabulary: a second one cost the start-up ~5 ms (bench/first-suggestion.ts).
    return this.inner.token_to_id(token);
  }

  /** True for pad, eos, mask, FIM and reserved ids. */
  isSpecial(id: number): boolean {
    const s = this.special;
    return id === s.pad || id === s.eos || id === s.mask || id === s.fimPrefix || id === s.fimSuffix || id === s.fimMiddle || s.reserved.includes(id);
  }
}

/**
 * Fails early, with a reason a person can act on, if the file is not a byte-level BPE tokenizer. Returns it
 * with its vocabulary's size.
 */
function checkShape(json: unknown, file: string): { json: TokenizerJson; vocabSize: number } {
  const bad = (reason: string): never => {
    throw new TokenizerLoadError(file, reason);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('expected a JSON object');
  const t = json as Record<string, unknown>;
  const model = t.model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null) return bad('has no "model" section');
  if (model.type !== 'BPE') return bad(`model type is ${JSON.stringify(model.type)}, expected "BPE"`);
  if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) {
    return bad('model.vocab is not an object of token -> id');
  }
  if (!Array.isArray(model.merges)) return bad('model.merges is not a list');
  const vocab = model.vocab as Record<string, unknown>;
  // Ids must be exactly 0..n-1, or decode() could meet a hole. One pass with a flag per id (a Set of 12k ids
  // and Object.entries cost the start-up ~10 ms).
  const n = Object.keys(vocab).length;
  const seen = new Uint8Array(n);
  let distinct = 0;
  for (const tok in vocab) {
    const id = vocab[tok] as number;
    if (!Number.isInteger(id) || id < 0) return bad(`vocabulary entry ${JSON.stringify(tok)} has id ${String(id)}`);
    if (id < n && seen[id] === 0) {
      seen[id] = 1;
      distinct++;
    }
  }
  // n entries with n distinct ids below n: exactly 0..n-1. Else say which rule fails.
  if (distinct < n) return bad(idsProblem(vocab as Record<string, number>));
  const decoder = t.decoder as { type?: unknown } | null | undefined;
  if (!decoder || decoder.type !== 'ByteLevel') return bad('decoder is not ByteLevel (code would not round-trip)');
  if (t.normalizer !== null && t.normalizer !== undefined) return bad('has a normalizer (code would not round-trip)');
  if (!t.pre_tokenizer) return bad('has no pre_tokenizer');
  if (t.added_tokens !== undefined && !Array.isArray(t.added_tokens)) return bad('added_tokens is not a list');
  return { json: t as unknown as TokenizerJson, vocabSize: n };
}

/** Why a vocabulary's ids (non-negative integers) are not exactly 0..n-1: a hole, else an id given twice. */
function idsProblem(vocab: Record<string, number>): string {
  const ids = new Set(Object.values(vocab));
  for (let i = 0; i < ids.size; i++) if (!ids.has(i)) return `vocabulary ids are not contiguous (no id ${i})`;
  return 'two vocabulary entries share an id';
}
