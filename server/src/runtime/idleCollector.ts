// Garbage collection after a burst of edits to large documents.
// Every edit makes a new copy of the document's text (TextDocument.update), so typing in a 10 MB file leaves
// ~10 MB of garbage per keystroke. V8 collects it only once its heap reaches a limit it sets from the live
// size, so the server's resident memory swings by 100-200 MB between collections while the user types in such
// a file, and stays high after they stop (`npm run bench:soak`, its 10 MB document). Here, once the edits since
// the last collection have replaced at least `thresholdBytes` of text and no edit has come for `idleMs`, the
// heap is collected once: the memory goes back to what the documents hold, at a time nobody waits for it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's full collection, made callable the documented way (`--expose-gc`) for a fresh context. */
function exposeGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : null;
}

export class IdleCollector {
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly gc: (() => void) | null;
  /** Collections run so far (checked by tests). */
  collections = 0;

  constructor(
    log: (message: string) => void,
    readonly thresholdBytes = 32 * 2 ** 20,
    readonly idleMs = 1000,
  ) {
    this.gc = exposeGc();
    if (!this.gc) log('garbage collection after large edits is off: V8 did not expose gc()');
  }

  /** An edit made a new copy of a `length`-character document. */
  edited(length: number): void {
    if (!this.gc) return;
    this.pendingBytes += length;
    if (this.pendingBytes < this.thresholdBytes) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.collect(), this.idleMs);
    this.timer.unref();
  }

  private collect(): void {
    this.timer = undefined;
    this.pendingBytes = 0;
    this.collections++;
    this.gc!();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
