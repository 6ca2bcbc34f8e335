// Every open document's model memory under one byte budget, least recently used first out: the diffusion
// model's context memory (documentMemory.ts: encoded K/V and which tokens are kept) and the AR twin's prompt
// K/V. K/V is large (a 512-token context is ~8 MB of float32 chunks plus their joined copy), so forty open
// documents with a completion each would hold ~0.6 GB; a document not used for a while gives its memory back
// and is encoded again, from its text, when the user comes back to it.
import { DocumentMemory } from './documentMemory';

/**
 * Bytes all documents' K/V may hold together: a handful of documents at the default 512 tokens (~16 MB
 * each), one at the 2048-token maximum (~64 MB). Measured with `npm run bench:soak` (40 documents).
 */
export const defaultMemoryBudgetBytes = 96 * 2 ** 20;

/**
 * A document's last AR prompt and its K/V after prefill, so the next request re-runs only the tokens after
 * the longest common prefix of the two prompts (typing on the cursor line changes none of the prompt; a
 * new line changes the prompt from the end of the prefix on). The AR counterpart of DocumentMemory,
 * filled by completion/autoregressive.ts.
 */
export class PromptMemory {
  ids: number[] = [];
  /** Per layer and kind (k0, v0, k1, …): [H, ids.length, Dh] each. */
  layers: Float32Array[] = [];
  /** Logits after the last prompt token. */
  logits: Float32Array = new Float32Array(0);
  /** Prompt tokens reused by the last request (checked by tests). */
  lastReused = 0;

  bytes(): number {
    return this.layers.reduce((n, a) => n + a.byteLength, 0) + this.logits.byteLength;
  }
}

interface Memories {
  context?: DocumentMemory;
  prompt?: PromptMemory;
}

export class DocumentMemories {
  /** In order of use: the least recently used document first. */
  private readonly byUri = new Map<string, Memories>();

  constructor(readonly budgetBytes = defaultMemoryBudgetBytes) {}

  /**
   * The document's context memory (empty when new or given back), now the most recently used. `endsLine(id)`:
   * whether a token's text holds a line break (the keep rules protect the lines nearest the cursor).
   */
  context(uri: string, endsLine: (id: number) => boolean = () => false): DocumentMemory {
    const m = this.use(uri);
    return (m.context ??= new DocumentMemory(endsLine));
  }

  /** The document's context memory if it holds one, without counting as a use (the hover and the memory map). */
  peek(uri: string): DocumentMemory | undefined {
    return this.byUri.get(uri)?.context;
  }

  /** The document's AR-twin prompt memory, now the most recently used. */
  prompt(uri: string): PromptMemory {
    const m = this.use(uri);
    return (m.prompt ??= new PromptMemory());
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }

  /** Bytes of K/V (and kept logits and attention features) all documents hold now. */
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
  return (m.context?.bytes() ?? 0) + (m.prompt?.bytes() ?? 0);
}
