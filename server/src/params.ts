// Checks on the parameters of incoming requests. Editors other than VS Code (and broken clients)
// send odd shapes; a clear InvalidParams error is better than a TypeError deep in a handler.
import { ErrorCodes, Position, ResponseError } from 'vscode-languageserver';

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
  const pos = (params as { position?: { line?: unknown; character?: unknown } } | null | undefined)?.position;
  if (!pos || !isIndex(pos.line) || !isIndex(pos.character)) {
    throw invalid('position must have non-negative integer line and character');
  }
  return { line: pos.line as number, character: pos.character as number };
}

function isIndex(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}
