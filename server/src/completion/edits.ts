// Where an edit ended and what lines surround the cursor: plain text questions the completion brain asks of a
// document (index.ts), kept apart from the request flow.
import type { TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

/**
 * Offset in `after` where the edit that turned `before` into `after` ends (where the cursor usually is).
 * Text can slide within a run of equal characters (Enter with auto-indent inserts "\n  " before "\n  bar":
 * the same `after` comes from inserting it one line lower), so several ends fit; the first that sits at a
 * line end is taken (the cursor after Enter, or after typing at the end of a line), else the last.
 */
export function editEnd(before: string, after: string): number {
  const n = Math.min(before.length, after.length);
  const same = (i: number, j: number) => before.charCodeAt(i) === after.charCodeAt(j);
  let head = 0;
  while (head < n && same(head, head)) head++;
  let longestTail = 0;
  while (longestTail < n && same(before.length - 1 - longestTail, after.length - 1 - longestTail)) longestTail++;
  // The common tail that does not overlap the common head: where the latest possible end lies.
  const last = after.length - Math.min(longestTail, n - head);
  for (let end = Math.max(0, after.length - longestTail); end < last; end++) {
    if (after.charCodeAt(end) === 10 || after.charCodeAt(end) === 13) return end;
  }
  return last;
}

/**
 * Where the last of a didChange's edits ends in the updated document (the cursor, after typing or Enter), or
 * undefined when the last change replaced the whole text (then `editEnd` compares the texts).
 */
export function changeEnd(updated: TextDocument, changes: readonly TextDocumentContentChangeEvent[]): number | undefined {
  const last = changes[changes.length - 1];
  if (!last || !('range' in last)) return undefined;
  // The text before the change's start is untouched by it: its offset is the same in the updated document.
  return Math.min(updated.getText().length, updated.offsetAt(last.range.start) + last.text.length);
}

/** The lines above and below the cursor's line ('' past the document's edges). */
export function neighbourLines(text: string, offset: number): { lineAbove: string; lineBelow: string } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const aboveStart = start === 0 ? 0 : text.lastIndexOf('\n', start - 2) + 1;
  const belowEnd = end < 0 ? -1 : text.indexOf('\n', end + 1);
  return {
    lineAbove: start === 0 ? '' : text.slice(aboveStart, start - 1).replace(/\r$/, ''),
    lineBelow: end < 0 ? '' : text.slice(end + 1, belowEnd < 0 ? text.length : belowEnd).replace(/\r$/, ''),
  };
}
