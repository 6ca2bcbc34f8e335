// K/V of context tokens as the completion graphs take them (training/completion/export.py `kv_names`): one array per
// layer and kind (k0, v0, k1, v1, …), each [H, n, Dh] row-major, fed as 2L tensors [1, H, n, Dh].

export interface KV {
  layers: Float32Array[];
  tokens: number;
}

export interface KVShape {
  nHead: number;
  headDim: number;
}

/** Rows `rows` (token indices, in order) of each part, joined along the token axis. */
export function gatherKV(parts: { kv: KV; rows: ArrayLike<number> }[], shape: KVShape, nArrays: number): KV {
  const { nHead, headDim } = shape;
  const tokens = parts.reduce((n, p) => n + p.rows.length, 0);
  // Consecutive rows are copied as one block per head: kept tokens mostly come in runs (all of them when nothing
  // was evicted), and one `set` per row was most of the cost of encoding a long context (bench/memory.ts contexts).
  const runs = parts.map(({ rows }) => {
    const out: [number, number, number][] = []; // [first source row, first destination row, length]
    for (let r = 0; r < rows.length; r++) {
      const last = out[out.length - 1];
      if (last && rows[r] === last[0] + last[2]) last[2]++;
      else out.push([rows[r], r, 1]);
    }
    return out;
  });
  // One allocation for all the arrays (views into it): at a 512-token context that is 8 MB with the shipped
  // model, which the allocator maps on its own and gives back when it is freed (runtime/allocator.ts), where 16
  // separate 512 KB arrays per request came from the main heap and fragmented it for good.
  const size = nHead * tokens * headDim;
  const backing = new Float32Array(size * nArrays);
  const layers = Array.from({ length: nArrays }, (_, i) => {
    const out = backing.subarray(i * size, (i + 1) * size);
    let offset = 0;
    parts.forEach(({ kv, rows }, p) => {
      const src = kv.layers[i];
      for (let h = 0; h < nHead; h++) {
        for (const [from, to, n] of runs[p]) {
          const at = (h * kv.tokens + from) * headDim;
          out.set(src.subarray(at, at + n * headDim), (h * tokens + offset + to) * headDim);
        }
      }
      offset += rows.length;
    });
    return out;
  });
  return { layers, tokens };
}

/**
 * Moves keys by `delta[t]` positions in place (rotary positions, GPT-NeoX halves as in training/completion/model.py
 * `apply_rope`): rotating a key rotated for position p by d gives the key for position p + d, so kept tokens can be
 * renumbered without encoding them again. Only the K arrays (even indices) are touched.
 */
export function moveKeys(kv: KV, delta: ArrayLike<number>, shape: KVShape, theta: number): void {
  const { nHead, headDim } = shape;
  const half = headDim / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / Math.pow(theta, (2 * i) / headDim));
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let t = 0; t < kv.tokens; t++) {
    const d = delta[t];
    if (d === 0) continue;
    for (let i = 0; i < half; i++) {
      cos[i] = Math.cos(d * inv[i]);
      sin[i] = Math.sin(d * inv[i]);
    }
    for (let a = 0; a < kv.layers.length; a += 2) {
      const k = kv.layers[a];
      for (let h = 0; h < nHead; h++) {
        const base = (h * kv.tokens + t) * headDim;
        for (let i = 0; i < half; i++) {
          const x1 = k[base + i];
          const x2 = k[base + half + i];
          k[base + i] = x1 * cos[i] - x2 * sin[i];
          k[base + half + i] = x2 * cos[i] + x1 * sin[i];
        }
      }
    }
  }
}
