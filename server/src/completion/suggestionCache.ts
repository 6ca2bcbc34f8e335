// Recent suggestions, so typing the characters of the ghost text (or asking again at the same
// place) reuses the answer instead of running the model: the user sees the rest of it at once.
// Entries keep digests of the text around the cursor, never slices of it: a slice would keep the whole
// document version it came from in memory (runtime/textKey.ts), ~10 MB per entry for a 10 MB file.
import { textKey } from '../runtime/textKey';
import type { Suggestion } from './postprocess';

interface Entry {
  uri: string;
  /** Digests of the text just before the cursor when the suggestion was made, and just after it. */
  before: string;
  after: string;
  suggestion: string;
  /** Characters after the cursor the suggestion replaces (they are part of `after`, so they still match). */
  replace: number;
}

const beforeChars = 512;
const afterChars = 256;

export class SuggestionCache {
  private entries: Entry[] = [];

  constructor(private readonly capacity: number) {}

  /** The suggestion still valid at `offset` (its untyped rest; text '' = known to have none), or undefined. */
  lookup(uri: string, text: string, offset: number): Suggestion | undefined {
    const after = textKey(text.slice(offset, offset + afterChars));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e.uri !== uri || e.after !== after) continue;
      // The user may have typed the first `typed` characters of the suggestion since.
      for (let typed = 0; typed <= e.suggestion.length && typed <= offset; typed++) {
        const start = offset - typed;
        if (text.slice(start, offset) !== e.suggestion.slice(0, typed)) continue;
        if (textKey(text.slice(Math.max(0, start - beforeChars), start)) === e.before) {
          this.entries.push(...this.entries.splice(i, 1)); // most recently used last
          return typed === e.suggestion.length && typed > 0 ? undefined : { text: e.suggestion.slice(typed), replace: e.replace };
        }
      }
    }
    return undefined;
  }

  store(uri: string, text: string, offset: number, suggestion: Suggestion): void {
    this.entries.push({
      uri,
      before: textKey(text.slice(Math.max(0, offset - beforeChars), offset)),
      after: textKey(text.slice(offset, offset + afterChars)),
      suggestion: suggestion.text,
      replace: suggestion.replace,
    });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  forget(uri: string): void {
    this.entries = this.entries.filter((e) => e.uri !== uri);
  }

  clear(): void {
    this.entries = [];
  }
}
