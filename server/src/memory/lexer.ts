// A small lexer that tells, per character, comment / whitespace / code: only for the memory report and the
// benchmark's stripper baseline (the scorer never sees it). Python: `#` comments, and a string that opens a
// statement (a docstring) counts as comment; JavaScript/TypeScript: `//` and `/* */`. Strings are skipped so
// that a `#` or `//` inside one is code.

export const enum CharClass {
  Code = 0,
  Comment = 1,
  Whitespace = 2,
}

export function classifyChars(text: string, language: string): Uint8Array {
  const out = new Uint8Array(text.length);
  const python = language === 'python';
  let i = 0;
  let lineHasCode = false;
  const mark = (from: number, to: number, c: CharClass) => out.fill(c, from, Math.min(to, text.length));
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      out[i++] = CharClass.Whitespace;
      lineHasCode = false;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      out[i++] = CharClass.Whitespace;
      continue;
    }
    if ((python && ch === '#') || (!python && text.startsWith('//', i))) {
      const end = text.indexOf('\n', i);
      const to = end < 0 ? text.length : end;
      mark(i, to, CharClass.Comment);
      i = to;
      continue;
    }
    if (!python && text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const to = end < 0 ? text.length : end + 2;
      mark(i, to, CharClass.Comment);
      i = to;
      continue;
    }
    if (ch === '"' || ch === "'" || (!python && ch === '`')) {
      const to = stringEnd(text, i, python);
      mark(i, to, python && !lineHasCode && text.startsWith(ch.repeat(3), i) ? CharClass.Comment : CharClass.Code);
      i = to;
      lineHasCode = true;
      continue;
    }
    out[i++] = CharClass.Code;
    lineHasCode = true;
  }
  // Whitespace inside a comment's lines (a docstring's indentation) stays whitespace; a comment's own spaces too.
  for (let k = 0; k < text.length; k++) if (out[k] === CharClass.Comment && /\s/.test(text[k])) out[k] = CharClass.Whitespace;
  return out;
}

function stringEnd(text: string, start: number, python: boolean): number {
  const q = text[start];
  const triple = python && text.startsWith(q.repeat(3), start);
  const close = triple ? q.repeat(3) : q;
  let i = start + close.length;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text.startsWith(close, i)) return i + close.length;
    if (!triple && q !== '`' && text[i] === '\n') return i;
    i++;
  }
  return text.length;
}

/** A token's class from its characters: code if any is code, else comment if any is, else whitespace. */
export function tokenClass(classes: Uint8Array, from: number, to: number): CharClass {
  let comment = false;
  for (let k = from; k < to; k++) {
    if (classes[k] === CharClass.Code) return CharClass.Code;
    if (classes[k] === CharClass.Comment) comment = true;
  }
  return comment ? CharClass.Comment : CharClass.Whitespace;
}
