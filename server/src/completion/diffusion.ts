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
  canvasSingleLine: number;
  canvasMultiLine: number;
}

type TensorCtor = new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: readonly number[]) => OrtTensor;

/** K or V for n tokens: [L, 1, H, n, Dh] row-major, as the graphs take and give them. */
interface KV {
  k: Float32Array;
  v: Float32Array;
  tokens: number;
}

interface EncodedChunk extends KV {
  ids: number[];
  pos: number[];
}

/** The memory of one document: its encoded chunks, in order, reused while they stay the same. */
export class DocumentMemory {
  chunks: EncodedChunk[] = [];
  /** Chunks reused from the cache by the last `encodeContext` (what the cache saved; checked by tests). */
  lastReused = 0;
}

export class DiffusionModel {
  constructor(
    readonly spec: DiffusionSpec,
    private readonly encodeSession: InferenceSession,
    private readonly denoiseSession: InferenceSession,
    /** Softmax over the vocabulary (runtime/softmaxGraph.ts): ~0.4 ms per pass vs ~5 ms in JavaScript. */
    private readonly softmaxSession: InferenceSession,
    private readonly Tensor: TensorCtor,
  ) {}

  /**
   * Brings `memory` up to date with the context (prefix then suffix, positions as in training) and
   * returns the concatenated K/V. Chunks equal to the cached ones (same ids, same positions, same
   * chunks before them) are reused.
   */
  async encodeContext(memory: DocumentMemory, prefixIds: number[], suffixIds: number[], cancelled: () => boolean): Promise<KV | null> {
    const P = prefixIds.length;
    const wanted = [...splitChunks(prefixIds, 0, this.spec.chunk), ...splitChunks(suffixIds, P + this.spec.suffixGap, this.spec.chunk)];
    let same = 0;
    while (same < wanted.length && same < memory.chunks.length && sameChunk(memory.chunks[same], wanted[same])) same++;
    memory.chunks.length = same;
    memory.lastReused = same;
    for (let i = same; i < wanted.length; i++) {
      if (cancelled()) return null;
      const mem = this.concat(memory.chunks);
      const out = await this.encodeSession.run({
        chunk_ids: this.ids(wanted[i].ids),
        chunk_pos: this.ids(wanted[i].pos),
        mem_k: this.kv(mem.k, mem.tokens),
        mem_v: this.kv(mem.v, mem.tokens),
      });
      memory.chunks.push({ ...wanted[i], k: out.new_k.data as Float32Array, v: out.new_v.data as Float32Array, tokens: wanted[i].ids.length });
    }
    return this.concat(memory.chunks);
  }

  /** Softmax probabilities at the masked canvas slots: [masked.length, vocab] row-major. */
  async denoise(memory: KV, canvas: Int32Array, canvasStart: number, masked: number[]): Promise<Float32Array> {
    const pos = Array.from(canvas, (_, i) => canvasStart + i);
    const out = await this.denoiseSession.run({
      canvas_ids: this.ids(Array.from(canvas)),
      canvas_pos: this.ids(pos),
      mem_k: this.kv(memory.k, memory.tokens),
      mem_v: this.kv(memory.v, memory.tokens),
      masked: new this.Tensor('int64', BigInt64Array.from(masked, BigInt), [masked.length]),
    });
    const logits = out.logits;
    if (logits.data.length !== masked.length * this.spec.vocabSize) {
      throw new Error(`denoise gave ${logits.data.length} logits for ${masked.length} slots; the manifest's vocabSize is ${this.spec.vocabSize}`);
    }
    return (await this.softmaxSession.run({ logits })).probs.data as Float32Array; // logits: [K, vocab]
  }

  private ids(values: number[]): OrtTensor {
    return new this.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  }

  private kv(data: Float32Array, tokens: number): OrtTensor {
    const { nLayer, nHead, headDim } = this.spec;
    return new this.Tensor('float32', data, [nLayer, 1, nHead, tokens, headDim]);
  }

  /** Concatenate chunks' K/V along the token axis of [L, 1, H, n, Dh]. */
  private concat(chunks: KV[]): KV {
    const { nLayer, nHead, headDim } = this.spec;
    const tokens = chunks.reduce((n, c) => n + c.tokens, 0);
    const k = new Float32Array(nLayer * nHead * tokens * headDim);
    const v = new Float32Array(k.length);
    let offset = 0;
    for (const c of chunks) {
      for (let lh = 0; lh < nLayer * nHead; lh++) {
        const from = lh * c.tokens * headDim;
        const to = (lh * tokens + offset) * headDim;
        k.set(c.k.subarray(from, from + c.tokens * headDim), to);
        v.set(c.v.subarray(from, from + c.tokens * headDim), to);
      }
      offset += c.tokens;
    }
    return { k, v, tokens };
  }
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
