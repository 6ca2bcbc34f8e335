// The diffusion model at run time: context chunks are encoded block-causally into a per-document
// memory of K/V (a chunk attends to the memory before it and to itself), so typing near the cursor
// re-encodes only the chunks from the first changed one on; the canvas at the cursor then attends to
// the whole memory in every denoising pass. Tensor names and layout follow training/completion/export.py.
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { ChunkEncoder, DocumentMemory, EvictionPolicy } from '../memory/documentMemory';
import type { KV } from '../memory/kv';

/** Shapes and layout constants from the manifest (models/manifest.json → completion.spec). */
export interface DiffusionSpec {
  nLayer: number;
  nHead: number;
  headDim: number;
  vocabSize: number;
  /** Context tokens per encoded chunk. */
  chunk: number;
  /** The suffix starts at position P + suffixGap (P = prefix length), whatever the span's length. */
  suffixGap: number;
  /** First canvas size (slots after the typed tokens) in single- and multi-line mode; it grows while a span fills it. */
  canvasSingleLine: number;
  canvasMultiLine: number;
  /** The largest canvas (the longest span the model was trained on, plus its end). */
  canvasMax: number;
  /**
   * A block's decoding order: only the first `blockWindow` masked slots (left to right) may commit in a pass,
   * the surest of them first (semi-autoregressive); absent: any slot before the span's end may. Chosen by
   * bench:completion (the `diffusion_windowN` systems).
   */
  blockWindow?: number;
  /**
   * A single line's decoding order, the same way: only the first `lineWindow` masked slots may commit in a pass;
   * absent: any slot before the line's end may. Chosen on training-split cases (bench:completion --split tuning,
   * the `diffusion_line_windowN` systems).
   */
  lineWindow?: number;
  /** Rotary base (the manifest's config.rope_theta; 10000 when absent). */
  ropeTheta?: number;
  /**
   * Per decoder, the least token confidence an answer needs to be shown, tuned for this model on training-split
   * cases (bench/completion-gate.ts); absent: completion/index.ts's default.
   */
  confidenceGate?: Partial<Record<'diffusion' | 'autoregressive', Partial<Record<'single_line' | 'multi_line', number>>>>;
}

type TensorCtor = new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: readonly number[]) => OrtTensor;

/** Context chunks encoded in one call (a 256-token call costs ~30% less per token than four of 64). */
const defaultChunksPerCall = 4;

export type { KV } from '../memory/kv';
export { DocumentMemory } from '../memory/documentMemory';

export class DiffusionModel implements ChunkEncoder {
  private readonly newNames: string[];
  private readonly encodeMemory: [string, number][];
  private readonly denoiseMemory: [string, number][];
  /** Whether the encode graph returns `attention_received` (training/completion/export.py): the memory brain's input. */
  readonly summarizesAttention: boolean;

  constructor(
    readonly spec: DiffusionSpec,
    private readonly encodeSession: InferenceSession,
    private readonly denoiseSession: InferenceSession,
    /** Softmax over the vocabulary (runtime/softmaxGraph.ts): ~0.4 ms per pass vs ~5 ms in JavaScript. */
    private readonly softmaxSession: InferenceSession,
    private readonly Tensor: TensorCtor,
    /** Chunks per encode call: each call encodes one fixed group (chunks 0 to n-1, n to 2n-1, …). */
    readonly chunksPerCall = defaultChunksPerCall,
  ) {
    const memNames = kvNames('mem', spec.nLayer);
    this.newNames = kvNames('new', spec.nLayer);
    // Each graph is fed only the memory inputs it has: exporters may drop one nothing depends on (the encode graph
    // never uses the last layer's memory V: it returns K/V and attention, not that layer's output).
    this.encodeMemory = memoryInputs(memNames, encodeSession.inputNames);
    this.denoiseMemory = memoryInputs(memNames, denoiseSession.inputNames);
    this.summarizesAttention = encodeSession.outputNames.includes('attention_received');
  }

  /**
   * Brings `memory` up to date with the context (prefix then suffix, positions as in training) and returns the
   * K/V to attend to: memory/documentMemory.ts reuses unchanged groups of chunks, encodes the others a group per
   * call through `encode`, and, given a policy (the memory brain), evicts after each call.
   */
  encodeContext(
    memory: DocumentMemory,
    prefixIds: number[],
    suffixIds: number[],
    cancelled: () => boolean,
    policy: EvictionPolicy | null = null,
  ): Promise<KV | null> {
    return memory.update(this, prefixIds, suffixIds, policy, cancelled);
  }

  /** Encodes one call's chunks (`block`: the chunk index of each token) against `memory`. */
  async encode(ids: number[], pos: number[], block: number[], memory: KV, wantReceived: boolean): Promise<{ kv: KV; received: Float32Array | null }> {
    const feeds: Record<string, OrtTensor> = { chunk_ids: this.ids(ids), chunk_pos: this.ids(pos), chunk_block: this.ids(block) };
    this.feedMemory(feeds, memory, this.encodeMemory);
    // `attention` (every query's row) is never fetched, so onnxruntime skips it; `attention_received` only when asked.
    const fetch = wantReceived && this.summarizesAttention ? [...this.newNames, 'attention_received'] : this.newNames;
    const out = await this.encodeSession.run(feeds, fetch);
    const kv: KV = { layers: this.newNames.map((n) => out[n].data as Float32Array), tokens: ids.length };
    const received = wantReceived && this.summarizesAttention ? (out.attention_received.data as Float32Array) : null;
    return { kv, received };
  }

  /** Softmax probabilities at the masked canvas slots: [masked.length, vocab] row-major. */
  async denoise(memory: KV, canvas: Int32Array, canvasStart: number, masked: number[]): Promise<Float32Array> {
    const pos = Array.from(canvas, (_, i) => canvasStart + i);
    const feeds: Record<string, OrtTensor> = {
      canvas_ids: this.ids(Array.from(canvas)),
      canvas_pos: this.ids(pos),
      masked: new this.Tensor('int64', BigInt64Array.from(masked, BigInt), [masked.length]),
    };
    this.feedMemory(feeds, memory, this.denoiseMemory);
    const logits = (await this.denoiseSession.run(feeds)).logits;
    if (logits.data.length !== masked.length * this.spec.vocabSize) {
      throw new Error(`denoise gave ${logits.data.length} logits for ${masked.length} slots; the manifest's vocabSize is ${this.spec.vocabSize}`);
    }
    return (await this.softmaxSession.run({ logits })).probs.data as Float32Array; // logits: [K, vocab]
  }

  private ids(values: number[]): OrtTensor {
    return new this.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  }

  private feedMemory(feeds: Record<string, OrtTensor>, memory: KV, inputs: [string, number][]): void {
    const dims = [1, this.spec.nHead, memory.tokens, this.spec.headDim];
    for (const [name, i] of inputs) feeds[name] = new this.Tensor('float32', memory.layers[i], dims);
  }
}

/** The memory inputs a graph has, with the index of each in `names` (the K/V arrays' order). */
function memoryInputs(names: string[], graphInputs: readonly string[]): [string, number][] {
  const has = new Set(graphInputs);
  return names.flatMap((name, i): [string, number][] => (has.has(name) ? [[name, i]] : []));
}

/** Per-layer K/V tensor names as the graphs spell them: prefix_k_0, prefix_v_0, prefix_k_1, … */
export function kvNames(prefix: string, nLayer: number): string[] {
  return Array.from({ length: 2 * nLayer }, (_, i) => `${prefix}_${i % 2 ? 'v' : 'k'}_${i >> 1}`);
}
