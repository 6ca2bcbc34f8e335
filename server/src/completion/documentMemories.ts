// The completion brain's per-document model memory (the diffusion model's encoded context chunks, the AR
// twin's prompt K/V) under one byte budget, least recently used first out. K/V is large (a 512-token
// context is ~8 MB of float32 chunks plus their joined copy), so forty open documents with a completion
// each would hold ~0.6 GB; a document not used for a while gives its memory back and is encoded again,
// from its text, when the user comes back to it.
import { PromptMemory } from './autoregressive';
import { DocumentMemory } from './diffusion';

/**
 * Bytes all documents' K/V may hold together: a handful of documents at the default 512 tokens (~16 MB
 * each), one at the 2048-token maximum (~64 MB). Measured with `npm run bench:soak` (40 documents).
 */
export const defaultMemoryBudgetBytes = 96 * 2 ** 20;

interface Memories {
  diffusion?: DocumentMemory;
  prompt?: PromptMemory;
}

export class DocumentMemories {
  /** In order of use: the least recently used document first. */
  private readonly byUri = new Map<string, Memories>();

  constructor(readonly budgetBytes = defaultMemoryBudgetBytes) {}

  /** The document's diffusion memory (empty when new or given back), now the most recently used. */
  diffusion(uri: string): DocumentMemory {
    const m = this.use(uri);
    return (m.diffusion ??= new DocumentMemory());
  }

  /** The document's AR-twin prompt memory, now the most recently used. */
  prompt(uri: string): PromptMemory {
    const m = this.use(uri);
    return (m.prompt ??= new PromptMemory());
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }

  /** Bytes of K/V (and kept logits) all documents hold now. */
  bytes(): number {
    let total = 0;
    for (const m of this.byUri.values()) total += memoryBytes(m);
    return total;
  }

  /** Documents that hold memory now (checked by tests). */
  documents(): string[] {
    return [...this.byUri.keys()];
  }

  /**
   * After `uri`'s memory grew: give back the least recently used documents' memory until the total fits the
   * budget. `uri` itself is kept even when it alone is over the budget (its request needs it).
   */
  trim(uri: string): void {
    let total = this.bytes();
    for (const [other, m] of this.byUri) {
      if (total <= this.budgetBytes) break;
      if (other === uri) continue;
      total -= memoryBytes(m);
      this.byUri.delete(other);
    }
  }

  private use(uri: string): Memories {
    const m = this.byUri.get(uri) ?? {};
    this.byUri.delete(uri);
    this.byUri.set(uri, m); // most recently used last
    return m;
  }
}

function memoryBytes(m: Memories): number {
  let n = 0;
  const d = m.diffusion;
  if (d) {
    const chunkArrays = new Set<Float32Array>();
    for (const c of d.chunks) for (const a of c.layers) chunkArrays.add(a);
    for (const a of chunkArrays) n += a.byteLength;
    // The joined copy is the chunk's own arrays when there is one chunk.
    for (const a of d.joined?.layers ?? []) if (!chunkArrays.has(a)) n += a.byteLength;
  }
  const p = m.prompt;
  if (p) {
    for (const a of p.layers) n += a.byteLength;
    n += p.logits.byteLength;
  }
  return n;
}
