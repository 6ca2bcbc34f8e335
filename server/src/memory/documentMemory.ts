// The memory of one document: the context encoded chunk by chunk into K/V, and which tokens are kept.
// Chunks are encoded in fixed groups of the encoder's `chunksPerCall` (chunks 0-3, 4-7, …), whatever the edit
// history: the int8 graphs quantize a call's activations with one scale taken from all its tokens, so a chunk
// encoded with other company differs in the last bits, and near-ties in the answer tip (bench/completion.ts
// measured 11-31% of answers after an edit differing from a cold request's before this). So only whole groups
// of unchanged chunks are reused (a shorter last group is re-encoded once a chunk joins or leaves it), and the
// memory after any edits equals a cold encode of the same context (test/unit/encodeDeterminism.test.ts).
// A chunk attends to the kept memory before it and to itself.
// With an eviction policy (the NAMM scorer, or a benchmark baseline), after each call every kept token and the
// call's new ones are scored and the keep rules evict (keep.ts); the kept tokens are then renumbered in order
// (prefix 0..P'-1, suffix from P' + suffixGap: positions closed up, keys re-rotated by kv.ts `moveKeys`), so the
// next chunk and the canvas see them at the distances the model was trained on, whatever the file's length.
// Without a policy nothing is evicted and positions are the layout's (training/completion/data.py).
// Edits re-encode from the first changed chunk: the state at the start of each recent call is kept (a
// snapshot: kept flags, positions, features), and the K/V of every token kept in the state or in a snapshot.
import { copyTokenFeatures, featureCount, newTokenFeatures, stepToken, writeFeatures, type TokenFeatures } from './features';
import { keepTokens, protectedTokens } from './keep';
import { gatherKV, moveKeys, type KV } from './kv';

export interface EncoderSpec {
  nLayer: number;
  nHead: number;
  headDim: number;
  chunk: number;
  suffixGap: number;
  /** Rotary base; 10000 (training/completion/model.py Config) when absent. */
  ropeTheta?: number;
}

/** What the memory needs from the completion model's encode graph (completion/diffusion.ts implements it). */
export interface ChunkEncoder {
  readonly spec: EncoderSpec;
  /** Whether the graph returns `attention_received` (the memory brain is off without it). */
  readonly summarizesAttention: boolean;
  /** Context chunks encoded in one call at most: each call encodes one fixed group (chunks 0 to n-1, n to 2n-1, …). */
  readonly chunksPerCall: number;
  encode(ids: number[], pos: number[], block: number[], memory: KV, wantReceived: boolean): Promise<{ kv: KV; received: Float32Array | null }>;
}

/** The tokens a policy scores: kept ones and the call's new ones, in position order. */
export interface LiveTokens {
  count: number;
  /** count x featureCount(nLayer) numbers (features.ts). */
  features: Float64Array;
  /** H2O's statistic per token (features.ts `received`). */
  received: number[];
  /** Layout positions (training/completion/data.py), and the chunk/token each one is. */
  positions: number[];
  ids: number[];
  /** Where the cursor is as far as the encoding knows (the end of the prefix read so far, then the canvas). */
  anchor: number;
}

export interface EvictionPolicy {
  /** A name for the state: a different policy re-encodes from the start. */
  key: string;
  /** Most tokens kept, as a fraction of the context tokens read so far (1: only the scores decide). */
  budget: number;
  /** Scores (< 0 evicts; with a cap the highest stay). */
  score(live: LiveTokens): Float64Array;
}

interface StoredChunk {
  ids: number[];
  /** Layout positions: what identifies the chunk. */
  pos: number[];
  suffix: boolean;
  kv: KV;
  /** Token -> row of kv (-1: its K/V was freed); the chunks of one encode call share its kv until eviction frees rows. */
  row: Int32Array;
  kept: Uint8Array;
  /** The position each token's key was encoded at (kv holds it so), and the position it stands at now. */
  encodedAt: Int32Array;
  at: Int32Array;
  features: (TokenFeatures | null)[];
}

interface Snapshot {
  chunk: number;
  kept: Uint8Array[];
  at: Int32Array[];
  features: (TokenFeatures | null)[][];
}

export class DocumentMemory {
  chunks: StoredChunk[] = [];
  /** Chunks reused by the last `update` (what the cache saved; checked by tests). */
  lastReused = 0;
  /** Counts the updates that changed the memory: a report made from one state names it (memory/index.ts). */
  generation = 0;
  /** Context tokens of the last update, kept ones, and the canvas start position (kept prefix tokens). */
  tokensRead = 0;
  tokensKept = 0;
  canvasStart = 0;
  private joined: KV | null = null;
  private snapshots: Snapshot[] = [];
  private policyKey: string | null = null;
  /** The encoder's K/V shape, rotary base and suffix gap (set by `update`). */
  private shape = { nHead: 0, headDim: 0 };
  private theta = 10000;
  private gap = 0;
  private groupSize = 4;

  /** `endsLine(id)`: whether a token's text holds a line break (the keep rules protect the nearest lines). */
  constructor(private readonly endsLine: (id: number) => boolean = () => false) {}

  /** Brings the memory up to date with the context and returns the kept K/V (positions closed up with a policy). */
  async update(encoder: ChunkEncoder, prefixIds: number[], suffixIds: number[], policy: EvictionPolicy | null, cancelled: () => boolean): Promise<KV | null> {
    const { chunk, suffixGap, nLayer } = encoder.spec;
    this.shape = { nHead: encoder.spec.nHead, headDim: encoder.spec.headDim };
    this.theta = encoder.spec.ropeTheta ?? 10000;
    this.gap = suffixGap;
    const P = prefixIds.length;
    const wanted = [...splitChunks(prefixIds, 0, chunk, false), ...splitChunks(suffixIds, P + suffixGap, chunk, true)];
    let same = 0;
    const key = policy?.key ?? null;
    if (key !== this.policyKey) this.reset();
    this.policyKey = key;
    while (same < wanted.length && same < this.chunks.length && sameChunk(this.chunks[same], wanted[same])) same++;
    if (same === wanted.length && same === this.chunks.length && this.joined) {
      this.lastReused = same;
      return this.joined;
    }
    const chunksPerCall = encoder.chunksPerCall;
    this.groupSize = chunksPerCall;
    this.generation++;
    same -= same % chunksPerCall; // fixed groups (see the top of this file); snapshots are taken at group starts
    const start = policy ? this.restore(same) : same;
    this.chunks.length = start;
    this.lastReused = start;
    this.joined = null;
    const wantReceived = policy !== null && encoder.summarizesAttention;
    const F = featureCount(nLayer);
    let read = this.chunks.reduce((n, c) => n + c.ids.length, 0);
    for (let first = start; first < wanted.length; first += chunksPerCall) {
      if (cancelled()) return null;
      if (policy) this.snapshots.push(this.snapshot(first));
      const group = wanted.slice(first, first + chunksPerCall);
      const live = this.liveTokens();
      const memory = this.gather(live, encoder);
      const at = this.newPositions(group, policy !== null, suffixGap);
      const block = group.flatMap((c, j) => c.ids.map(() => j));
      const ids = group.flatMap((c) => c.ids);
      const out = await encoder.encode(ids, at.flat(), block, memory, wantReceived);
      let offset = 0;
      const added = group.map((c, j) => {
        const n = c.ids.length;
        const first = offset;
        // The call's chunks share its K/V (rows first.. of it) rather than each copying its part: fewer, larger
        // allocations that live and die together (see runtime/allocator.ts).
        const stored: StoredChunk = {
          ...c,
          kv: out.kv,
          row: Int32Array.from({ length: n }, (_, t) => first + t),
          kept: new Uint8Array(n).fill(1),
          encodedAt: Int32Array.from(at[j]),
          at: Int32Array.from(at[j]),
          features: c.ids.map(() => (wantReceived ? newTokenFeatures(nLayer) : null)),
        };
        offset += n;
        return stored;
      });
      this.chunks.push(...added);
      read += ids.length;
      if (out.received) this.stepFeatures(out.received, live, added, nLayer, memory.tokens + ids.length);
      if (policy) this.prune(policy, F, read, P);
    }
    this.dropSnapshots(wanted.filter((c) => !c.suffix).length);
    const live = this.liveTokens();
    this.joined = this.gather(live, encoder);
    this.tokensRead = read;
    this.tokensKept = live.length;
    this.canvasStart = policy ? live.filter(([c]) => !this.chunks[c].suffix).length : P;
    return this.joined;
  }

  /** Bytes this memory holds: K/V of every chunk and of the joined copy, and the attention features kept. */
  bytes(): number {
    let n = 0;
    const arrays = new Set<Float32Array>();
    for (const c of this.chunks) for (const a of c.kv.layers) arrays.add(a);
    for (const a of this.joined?.layers ?? []) arrays.add(a);
    for (const a of arrays) n += a.byteLength;
    const featureBytes = (f: TokenFeatures | null) => (f ? f.ring.byteLength + f.ema.byteLength : 0);
    for (const c of this.chunks) for (const f of c.features) n += featureBytes(f);
    for (const s of this.snapshots) for (const fs of s.features) for (const f of fs) n += featureBytes(f);
    return n;
  }

  /** Kept tokens as [chunk, token], in position order. */
  liveTokens(): [number, number][] {
    const out: [number, number][] = [];
    this.chunks.forEach((c, i) => c.kept.forEach((k, t) => k && out.push([i, t])));
    return out;
  }

  /** Layout positions of the tokens not kept (for the memory map and the report). */
  dropped(): { ids: number[]; positions: number[] } {
    const ids: number[] = [];
    const positions: number[] = [];
    for (const c of this.chunks) {
      c.kept.forEach((k, t) => {
        if (k) return;
        ids.push(c.ids[t]);
        positions.push(c.pos[t]);
      });
    }
    return { ids, positions };
  }

  private reset(): void {
    this.chunks = [];
    this.snapshots = [];
    this.joined = null;
  }

  /**
   * The kept tokens' K/V joined, keys moved from where they were encoded to where they stand now (one rotation from
   * the stored keys, so the same state always gives the same numbers, however it was reached).
   */
  private gather(live: [number, number][], encoder: ChunkEncoder): KV {
    const parts: { kv: KV; rows: number[] }[] = [];
    const delta: number[] = [];
    for (const [c, t] of live) {
      const chunk = this.chunks[c];
      if (chunk.row[t] < 0) throw new Error('a kept token lost its K/V (memory state corrupted)');
      if (parts.length === 0 || parts[parts.length - 1].kv !== chunk.kv) parts.push({ kv: chunk.kv, rows: [] });
      parts[parts.length - 1].rows.push(chunk.row[t]);
      delta.push(chunk.at[t] - chunk.encodedAt[t]);
    }
    const kv = gatherKV(parts, encoder.spec, 2 * encoder.spec.nLayer);
    if (delta.some((d) => d !== 0)) moveKeys(kv, delta, this.shape, this.theta);
    return kv;
  }

  /** Positions to encode the group at: the layout's, or right after the kept tokens (prefix; suffix after the gap). */
  private newPositions(group: { ids: number[]; pos: number[]; suffix: boolean }[], closeUp: boolean, gap: number): number[][] {
    if (!closeUp) return group.map((c) => c.pos);
    let prefix = 0;
    let suffix = 0;
    for (const [c] of this.liveTokens()) {
      if (this.chunks[c].suffix) suffix++;
      else prefix++;
    }
    const suffixBase = prefix + group.filter((c) => !c.suffix).reduce((n, c) => n + c.ids.length, 0) + gap;
    return group.map((c) => c.ids.map(() => (c.suffix ? suffixBase + suffix++ : prefix++)));
  }

  /** One chunk step per chunk of the call: what each visible kept or new token received. */
  private stepFeatures(received: Float32Array, live: [number, number][], added: StoredChunk[], nLayer: number, keys: number): void {
    const B = added.length;
    const M = live.length;
    let visible = M;
    for (let b = 0; b < B; b++) {
      visible += added[b].ids.length;
      const at = (l: number, key: number) => received[(l * B + b) * keys + key];
      live.forEach(([c, t], i) => {
        const f = this.chunks[c].features[t];
        if (f) stepToken(f, nLayer, (l) => at(l, i), visible);
      });
      let key = M;
      for (let j = 0; j <= b; j++) {
        for (const f of added[j].features) {
          const k = key++;
          if (f) stepToken(f, nLayer, (l) => at(l, k), visible);
        }
      }
    }
  }

  private prune(policy: EvictionPolicy, F: number, read: number, P: number): void {
    const live = this.liveTokens();
    const n = live.length;
    const features = new Float64Array(n * F);
    const positions = live.map(([c, t]) => this.chunks[c].pos[t]);
    // The cursor as far as the encoding knows it: the end of the prefix read so far, then the canvas.
    const lastPrefix = positions.filter((p) => p < P);
    const anchor = Math.min(P, (lastPrefix.length ? Math.max(...lastPrefix) : -1) + 1);
    const zero = newTokenFeatures((F - 2) / 3);
    live.forEach(([c, t], i) => writeFeatures(this.chunks[c].features[t] ?? zero, positions[i], anchor, features, i * F));
    const scores = policy.score({
      count: n,
      features,
      received: live.map(([c, t]) => this.chunks[c].features[t]?.received ?? 0),
      positions,
      ids: live.map(([c, t]) => this.chunks[c].ids[t]),
      anchor,
    });
    const protect = protectedTokens(
      positions,
      live.map(([c, t]) => this.endsLine(this.chunks[c].ids[t])),
      anchor,
    );
    const cap = policy.budget < 1 ? Math.max(1, Math.floor(policy.budget * read)) : n;
    const keep = keepTokens(scores, protect, cap);
    live.forEach(([c, t], i) => (this.chunks[c].kept[t] = keep[i]));
    this.closeUp();
  }

  /** Renumbers the kept tokens: prefix 0..P'-1, suffix from P' + gap (their keys move when gathered). */
  private closeUp(): void {
    const live = this.liveTokens();
    const prefix = live.filter(([c]) => !this.chunks[c].suffix).length;
    let p = 0;
    let s = 0;
    for (const [c, t] of live) {
      const chunk = this.chunks[c];
      chunk.at[t] = chunk.suffix ? prefix + this.gap + s++ : p++;
    }
  }

  private snapshot(chunk: number): Snapshot {
    const cs = this.chunks.slice(0, chunk);
    return {
      chunk,
      kept: cs.map((c) => c.kept.slice()),
      at: cs.map((c) => c.at.slice()),
      features: cs.map((c) => c.features.map((f, t) => (f && c.kept[t] ? copyTokenFeatures(f) : null))),
    };
  }

  /** Back to the latest snapshot at or before chunk `same`; returns the chunk to encode from. */
  private restore(same: number): number {
    while (this.snapshots.length && this.snapshots[this.snapshots.length - 1].chunk > same) this.snapshots.pop();
    const s = this.snapshots.pop();
    if (!s || s.chunk > this.chunks.length) {
      this.reset();
      return 0;
    }
    this.chunks.length = s.chunk;
    this.chunks.forEach((c, i) => {
      c.at = s.at[i];
      c.kept = s.kept[i];
      c.features = s.features[i];
    });
    return s.chunk;
  }

  /** Keep snapshots from the last two prefix calls on (where typing re-encodes); free K/V no state can reach. */
  private dropSnapshots(prefixChunks: number): void {
    const from = prefixChunks - 2 * this.groupSize;
    this.snapshots = this.snapshots.filter((s) => s.chunk >= from);
    this.chunks.forEach((c, i) => {
      const retain = c.kept.slice();
      for (const s of this.snapshots) if (i < s.kept.length) s.kept[i].forEach((k, t) => k && (retain[t] = 1));
      const rows: number[] = [];
      let held = 0; // rows the chunk still has
      c.row.forEach((row, t) => {
        if (row < 0) return;
        held++;
        if (retain[t]) rows.push(row);
      });
      if (rows.length === held) return; // nothing to free
      // The chunk's retained rows move to a K/V of its own; the K/V it shared stays with the chunks that still use it.
      c.kv = gatherKV([{ kv: c.kv, rows }], this.shape, c.kv.layers.length);
      let next = 0;
      c.row = Int32Array.from(retain, (r, t) => (r && c.row[t] >= 0 ? next++ : -1));
    });
  }
}

function splitChunks(ids: number[], firstPos: number, size: number, suffix: boolean): { ids: number[]; pos: number[]; suffix: boolean }[] {
  const chunks: { ids: number[]; pos: number[]; suffix: boolean }[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const part = ids.slice(i, i + size);
    chunks.push({ ids: part, pos: part.map((_, j) => firstPos + i + j), suffix });
  }
  return chunks;
}

function sameChunk(a: { ids: number[]; pos: number[] }, b: { ids: number[]; pos: number[] }): boolean {
  if (a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i] || a.pos[i] !== b.pos[i]) return false;
  return true;
}
