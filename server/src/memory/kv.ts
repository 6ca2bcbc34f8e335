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
  const layers = Array.from({ length: nArrays }, (_, i) => {
    const out = new Float32Array(nHead * tokens * headDim);
    let offset = 0;
    for (const { kv, rows } of parts) {
      const src = kv.layers[i];
      for (let h = 0; h < nHead; h++) {
        for (let r = 0; r < rows.length; r++) {
          const from = (h * kv.tokens + rows[r]) * headDim;
          out.set(src.subarray(from, from + headDim), (h * tokens + offset + r) * headDim);
        }
      }
      offset += rows.length;
    }
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
