// A short, fresh string standing for a piece of text, for caches keyed by document text.
// V8 keeps a slice of a string (`text.slice(a, b)`, 13 characters or more) as a view into the whole
// string, so a cache that keeps slices of a document keeps every version of that document alive: with a
// 10 MB file, ~10 MB per remembered slice. A digest keeps nothing of the text.
import { createHash } from 'node:crypto';

/** sha256 of the text (base64, 44 characters): equal keys mean equal texts, for all practical purposes. */
export function textKey(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
