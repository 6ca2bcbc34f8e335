// The diffusion model at run time: context chunks are encoded block-causally into a per-document
// memory of K/V (a chunk attends to the memory before it and to itself), so typing near the cursor
// re-encodes only the chunks from the first changed one on; the canvas at the cursor then attends to
// the whole memory in every denoising pass. Tensor names and layout follow training/completion/export.py.
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

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
}

type TensorCtor = new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: readonly number[]) => OrtTensor;

/** Context chunks encoded in one call (a 256-token call costs ~30% less per token than four of 64). */
const defaultChunksPerCall = 4;

/**
 * K/V for n tokens, one array per layer and kind (k0, v0, k1, v1, …), each [H, n, Dh] row-major: the graphs
 * take and give them as 2L tensors [1, H, n, Dh] (training/completion/export.py, `kv_names`).
 */
export interface KV {
  layers: Float32Array[];
  tokens: number;
}

interface EncodedChunk extends KV {
  ids: number[];
  pos: number[];
}

/** The memory of one document: its encoded chunks, in order, reused while they stay the same. */
export class DocumentMemory {
  chunks: EncodedChunk[] = [];
  /** All chunks joined, as the last `encodeContext` returned it (reused while no chunk changes). */
  joined: KV | null = null;
  /** Chunks reused from the cache by the last `encodeContext` (what the cache saved; checked by tests). */
  lastReused = 0;
}

export class DiffusionModel {
  private readonly memNames: string[];
  private readonly newNames: string[];

  constructor(
    readonly spec: DiffusionSpec,
    private readonly encodeSession: InferenceSession,
    private readonly denoiseSession: InferenceSession,
    /** Softmax over the vocabulary (runtime/softmaxGraph.ts): ~0.4 ms per pass vs ~5 ms in JavaScript. */
    private readonly softmaxSession: InferenceSession,
    private readonly Tensor: TensorCtor,
    /** Chunks per encode call: each call encodes one fixed group (chunks 0 to n-1, n to 2n-1, …). */
    private readonly chunksPerCall = defaultChunksPerCall,
  ) {
    this.memNames = kvNames('mem', spec.nLayer);
    this.newNames = kvNames('new', spec.nLayer);
  }

  /**
   * Brings `memory` up to date with the context (prefix then suffix, positions as in training) and
   * returns the concatenated K/V. Chunks equal to the cached ones (same ids, same positions, same
   * chunks before them) are reused; the others are encoded in groups of `chunksPerCall` (a chunk sees
   * the ones before it, in the memory or in the same call, exactly as in training).
   */
  async encodeContext(memory: DocumentMemory, prefixIds: number[], suffixIds: number[], cancelled: () => boolean): Promise<KV | null> {
    const P = prefixIds.length;
    const wanted = [...splitChunks(prefixIds, 0, this.spec.chunk), ...splitChunks(suffixIds, P + this.spec.suffixGap, this.spec.chunk)];
    let same = 0;
    while (same < wanted.length && same < memory.chunks.length && sameChunk(memory.chunks[same], wanted[same])) same++;
    if (same === wanted.length && same === memory.chunks.length && memory.joined) {
      memory.lastReused = same;
      return memory.joined;
    }
    // Chunks are encoded in fixed groups (chunks 0-3, 4-7, …), whatever the edit history: the int8 graphs
    // quantize a call's activations with one scale taken from all its tokens, so a chunk encoded with other
    // company differs in the last bits, and near-ties in the answer tip (bench/completion.ts measured 11-31%
    // of answers after an edit differing from a cold request's before this). So only whole groups of four
    // unchanged chunks are reused (a shorter last group is re-encoded once a chunk joins or leaves it).
    same -= same % this.chunksPerCall;
    memory.lastReused = same;
    memory.chunks.length = same;
    memory.joined = null;
    for (let first = same; first < wanted.length; first += this.chunksPerCall) {
      if (cancelled()) return null;
      const group = wanted.slice(first, first + this.chunksPerCall);
      const ids = group.flatMap((c) => c.ids);
      const pos = group.flatMap((c) => c.pos);
      const block = group.flatMap((c, j) => c.ids.map(() => j));
      const feeds: Record<string, OrtTensor> = { chunk_ids: this.ids(ids), chunk_pos: this.ids(pos), chunk_block: this.ids(block) };
      this.feedMemory(feeds, this.concat(memory.chunks));
      // The `attention` output (for the memory brain) is not fetched: onnxruntime then skips computing it.
      const out = await this.encodeSession.run(feeds, this.newNames);
      const fresh: KV = { layers: this.newNames.map((n) => out[n].data as Float32Array), tokens: ids.length };
      let offset = 0;
      for (const c of group) {
        memory.chunks.push({ ...c, ...this.slice(fresh, offset, c.ids.length) });
        offset += c.ids.length;
      }
    }
    memory.joined = this.concat(memory.chunks);
    return memory.joined;
  }

  /** Softmax probabilities at the masked canvas slots: [masked.length, vocab] row-major. */
  async denoise(memory: KV, canvas: Int32Array, canvasStart: number, masked: number[]): Promise<Float32Array> {
    const pos = Array.from(canvas, (_, i) => canvasStart + i);
    const feeds: Record<string, OrtTensor> = {
      canvas_ids: this.ids(Array.from(canvas)),
      canvas_pos: this.ids(pos),
      masked: new this.Tensor('int64', BigInt64Array.from(masked, BigInt), [masked.length]),
    };
    this.feedMemory(feeds, memory);
    const logits = (await this.denoiseSession.run(feeds)).logits;
    if (logits.data.length !== masked.length * this.spec.vocabSize) {
      throw new Error(`denoise gave ${logits.data.length} logits for ${masked.length} slots; the manifest's vocabSize is ${this.spec.vocabSize}`);
    }
    return (await this.softmaxSession.run({ logits })).probs.data as Float32Array; // logits: [K, vocab]
  }

  private ids(values: number[]): OrtTensor {
    return new this.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  }

  private feedMemory(feeds: Record<string, OrtTensor>, memory: KV): void {
    const dims = [1, this.spec.nHead, memory.tokens, this.spec.headDim];
    this.memNames.forEach((name, i) => (feeds[name] = new this.Tensor('float32', memory.layers[i], dims)));
  }

  /** Concatenate K/V along the token axis of each [H, n, Dh] layer array. */
  private concat(parts: KV[]): KV {
    const { nHead, headDim } = this.spec;
    const tokens = parts.reduce((n, c) => n + c.tokens, 0);
    if (parts.length === 1) return { layers: parts[0].layers, tokens };
    const layers = this.memNames.map((_, i) => {
      const out = new Float32Array(nHead * tokens * headDim);
      let offset = 0;
      for (const c of parts) {
        for (let h = 0; h < nHead; h++) out.set(c.layers[i].subarray(h * c.tokens * headDim, (h + 1) * c.tokens * headDim), (h * tokens + offset) * headDim);
        offset += c.tokens;
      }
      return out;
    });
    return { layers, tokens };
  }

  /** Tokens [from, from + n) of `kv`. */
  private slice(kv: KV, from: number, n: number): KV {
    const { nHead, headDim } = this.spec;
    if (from === 0 && n === kv.tokens) return kv;
    const layers = kv.layers.map((src) => {
      const out = new Float32Array(nHead * n * headDim);
      for (let h = 0; h < nHead; h++) out.set(src.subarray((h * kv.tokens + from) * headDim, (h * kv.tokens + from + n) * headDim), h * n * headDim);
      return out;
    });
    return { layers, tokens: n };
  }
}

/** Per-layer K/V tensor names as the graphs spell them: prefix_k_0, prefix_v_0, prefix_k_1, … */
export function kvNames(prefix: string, nLayer: number): string[] {
  return Array.from({ length: 2 * nLayer }, (_, i) => `${prefix}_${i % 2 ? 'v' : 'k'}_${i >> 1}`);
}

function splitChunks(ids: number[], firstPos: number, size: number): { ids: number[]; pos: number[] }[] {
  const chunks: { ids: number[]; pos: number[] }[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const part = ids.slice(i, i + size);
    chunks.push({ ids: part, pos: part.map((_, j) => firstPos + i + j) });
  }
  return chunks;
}

function sameChunk(a: { ids: number[]; pos: number[] }, b: { ids: number[]; pos: number[] }): boolean {
  if (a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i] || a.pos[i] !== b.pos[i]) return false;
  return true;
}
