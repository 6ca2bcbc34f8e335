// Checks on the parameters of incoming requests. Editors other than VS Code (and broken clients)
// send odd shapes; a clear InvalidParams error is better than a TypeError deep in a handler.
import { ErrorCodes, ResponseError, type Position, type Range } from 'vscode-languageserver';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

export function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

/** The document uri of `{ textDocument: { uri } }` params, or an InvalidParams error. */
export function requireDocumentUri(params: unknown): string {
  const doc = (params as { textDocument?: { uri?: unknown } } | null | undefined)?.textDocument;
  if (!doc || typeof doc.uri !== 'string' || doc.uri.length === 0) {
    throw invalid('textDocument.uri must be a non-empty string');
  }
  return doc.uri;
}

/** A position with non-negative integer line and character, or an InvalidParams error. */
export function requirePosition(params: unknown): Position {
  const pos = (params as { position?: unknown } | null | undefined)?.position;
  if (!isPosition(pos)) throw invalid('position must have non-negative integer line and character');
  return pos;
}

/** A range whose start and end are valid positions, or an InvalidParams error. */
export function requireRange(range: unknown): Range {
  const r = range as { start?: unknown; end?: unknown } | null | undefined;
  if (!r || !isPosition(r.start) || !isPosition(r.end)) throw invalid('range must have valid start and end positions');
  return { start: r.start, end: r.end };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** didOpen's document fields, checked (a non-string text would break every later request on it). */
export function requireOpenedDocument(uri: unknown, languageId: unknown, version: unknown, text: unknown): [string, string, number, string] {
  if (typeof uri !== 'string' || uri.length === 0) throw invalid('textDocument.uri must be a non-empty string');
  if (typeof languageId !== 'string') throw invalid('textDocument.languageId must be a string');
  if (typeof text !== 'string') throw invalid('textDocument.text must be a string');
  return [uri, languageId, requireVersion(version), text];
}

export function requireVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isInteger(version)) throw invalid('textDocument.version must be an integer');
  return version;
}

/** didChange's content changes: each a string `text`, with a valid `range` or none (the whole text). */
export function requireContentChanges(changes: unknown): TextDocumentContentChangeEvent[] {
  if (!Array.isArray(changes)) throw invalid('contentChanges must be an array');
  for (const c of changes) {
    if (!isObject(c) || typeof c.text !== 'string') throw invalid('each content change needs a string text');
    if (c.range !== undefined) requireRange(c.range);
  }
  return changes as TextDocumentContentChangeEvent[];
}

function isPosition(p: unknown): p is Position {
  const q = p as { line?: unknown; character?: unknown } | null | undefined;
  return !!q && isIndex(q.line) && isIndex(q.character);
}

function isIndex(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}
