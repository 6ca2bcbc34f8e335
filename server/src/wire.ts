// Checks the framing of the LSP byte stream on stdio, beside vscode-jsonrpc's reader (which reads the same
// bytes). That reader, on a header without ':' or without a valid Content-Length, reports an error that
// vscode-languageserver does not surface, and on LF-only line ends or bytes that never form a header it
// waits forever: the server stayed alive and deaf. Here each of those is a broken stream, reported once,
// and the server ends (main.ts). A body that is not JSON leaves the framing intact: it is reported as a bad
// message, and the stream goes on.

/** Longest header section accepted (LSP sends one or two short header lines). */
const maxHeaderBytes = 8 * 1024;
/** Largest message body accepted (a 1 GB didOpen is not a document this server can serve). */
const maxBodyBytes = 1024 ** 3;

export interface FrameCheckEvents {
  /** The stream cannot be parsed from here on. */
  broken(reason: string): void;
  /** One message's body is not JSON; the next message can still be read. */
  badMessage(reason: string): void;
}

export class FrameChecker {
  private line = '';
  private lines: string[] = [];
  private headerBytes = 0;
  private sawCR = false;
  private bodyLeft = -1;
  private body: Buffer[] = [];
  private failed = false;

  constructor(private readonly events: FrameCheckEvents) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.failed) {
      if (this.bodyLeft >= 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.body.push(chunk.subarray(i, i + n));
        this.bodyLeft -= n;
        i += n;
        if (this.bodyLeft === 0) this.endBody();
        continue;
      }
      this.headerByte(chunk[i++]);
    }
  }

  private headerByte(byte: number): void {
    if (++this.headerBytes > maxHeaderBytes) return this.fail(`no end of the header after ${maxHeaderBytes} bytes`);
    if (this.sawCR && byte !== 10) return this.fail('a CR in the header is not followed by LF');
    if (byte === 13) {
      this.sawCR = true;
      return;
    }
    if (byte === 10) {
      if (!this.sawCR) return this.fail('a header line ends with LF alone (LSP header lines end with CRLF)');
      this.sawCR = false;
      return this.line === '' ? this.endHeader() : this.endLine();
    }
    if (byte < 0x20 || byte > 0x7e) return this.fail(`byte 0x${byte.toString(16).padStart(2, '0')} in the header (headers are ASCII text)`);
    this.line += String.fromCharCode(byte);
  }

  private endLine(): void {
    if (!this.line.includes(':')) return this.fail(`a header line without ':': ${JSON.stringify(this.line.slice(0, 60))}`);
    this.lines.push(this.line);
    this.line = '';
  }

  private endHeader(): void {
    const lengths = this.lines.filter((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === 'content-length');
    if (lengths.length !== 1) return this.fail(lengths.length ? 'more than one Content-Length header' : 'a message without a Content-Length header');
    const value = lengths[0].slice(lengths[0].indexOf(':') + 1).trim();
    if (!/^\d+$/.test(value) || Number(value) > maxBodyBytes)
      return this.fail(`Content-Length ${JSON.stringify(value.slice(0, 20))} is not a byte count up to ${maxBodyBytes}`);
    this.lines = [];
    this.headerBytes = 0;
    this.bodyLeft = Number(value);
    if (this.bodyLeft === 0) this.endBody();
  }

  private endBody(): void {
    const text = Buffer.concat(this.body).toString('utf8');
    this.body = [];
    this.bodyLeft = -1;
    try {
      JSON.parse(text);
    } catch (e) {
      this.events.badMessage(`a message body is not JSON (${e instanceof Error ? e.message : String(e)}); it was ignored`);
    }
  }

  private fail(reason: string): void {
    this.failed = true;
    this.events.broken(reason);
  }
}
