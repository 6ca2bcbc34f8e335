// Checks on the parameters of incoming requests. Editors other than VS Code (and broken clients)
// send odd shapes; a clear InvalidParams error is better than a TypeError deep in a handler.
import { ErrorCodes, ResponseError, type Position, type Range } from 'vscode-languageserver';

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

function isPosition(p: unknown): p is Position {
  const q = p as { line?: unknown; character?: unknown } | null | undefined;
  return !!q && isIndex(q.line) && isIndex(q.character);
}

function isIndex(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}
