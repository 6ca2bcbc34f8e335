// The NAMM scorer: a few thousand parameters that say, from a token's attention features alone, whether the
// completion model will still need it. One linear layer, one backward-attention layer (each token attends to
// itself and the next `window` retained tokens: what follows it decides whether it is still read), a linear
// head; score < 0 evicts. Weights are a flat vector in the order of training/namm/namm.py `unpack`, shipped as
// JSON (models/memory-scorer.json, evolved by training/namm/evolve.py).
import { featureCount } from './features';

export const hidden = 16;
export const window = 16;

export const parameterCount = (nLayer: number): number => {
  const f = featureCount(nLayer);
  return f * hidden + hidden + 4 * hidden * hidden + hidden + 1;
};

/** The scorer file: `models/memory-scorer.json`. */
export interface ScorerFile {
  format: 'nanomind-namm-scorer-1';
  nLayer: number;
  hidden: number;
  window: number;
  theta: number[];
}

export class Scorer {
  private readonly wIn: Float64Array;
  private readonly bIn: Float64Array;
  private readonly wQ: Float64Array;
  private readonly wK: Float64Array;
  private readonly wV: Float64Array;
  private readonly wU: Float64Array;
  private readonly wO: Float64Array;
  private readonly bO: number;
  readonly features: number;

  constructor(
    readonly nLayer: number,
    theta: ArrayLike<number>,
  ) {
    this.features = featureCount(nLayer);
    if (theta.length !== parameterCount(nLayer)) {
      throw new Error(`the scorer has ${theta.length} parameters; ${parameterCount(nLayer)} expected for ${nLayer} layers`);
    }
    const all = Float64Array.from(theta);
    if (!all.every(Number.isFinite)) throw new Error('the scorer has a parameter that is not a finite number');
    let at = 0;
    const take = (n: number) => all.subarray(at, (at += n));
    this.wIn = take(this.features * hidden);
    this.bIn = take(hidden);
    this.wQ = take(hidden * hidden);
    this.wK = take(hidden * hidden);
    this.wV = take(hidden * hidden);
    this.wU = take(hidden * hidden);
    this.wO = take(hidden);
    this.bO = take(1)[0];
  }

  /** Reads and checks a scorer file's JSON; throws a message naming what is wrong. */
  static fromJson(text: string, nLayer: number): Scorer {
    let file: ScorerFile;
    try {
      file = JSON.parse(text) as ScorerFile;
    } catch (e) {
      throw new Error(`the scorer file is not JSON (${(e as Error).message})`);
    }
    if (file?.format !== 'nanomind-namm-scorer-1') throw new Error('the scorer file has no format "nanomind-namm-scorer-1"');
    if (file.hidden !== hidden || file.window !== window)
      throw new Error(`the scorer file is for hidden ${file.hidden}, window ${file.window}; this server runs ${hidden}, ${window}`);
    if (file.nLayer !== nLayer) throw new Error(`the scorer file is for ${file.nLayer} layers; the completion model has ${nLayer}`);
    if (!Array.isArray(file.theta)) throw new Error('the scorer file has no "theta" array');
    return new Scorer(nLayer, file.theta);
  }

  /** x: T rows of `features` numbers, tokens in position order -> T scores. */
  score(x: Float64Array, T: number): Float64Array {
    const F = this.features;
    const H = hidden;
    const z = new Float64Array(T * H);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        let s = this.bIn[h];
        for (let f = 0; f < F; f++) s += x[t * F + f] * this.wIn[f * H + h];
        z[t * H + h] = s;
      }
    }
    const project = (w: Float64Array) => {
      const out = new Float64Array(T * H);
      for (let t = 0; t < T; t++) {
        for (let f = 0; f < H; f++) {
          const zf = z[t * H + f];
          if (zf === 0) continue;
          for (let h = 0; h < H; h++) out[t * H + h] += zf * w[f * H + h];
        }
      }
      return out;
    };
    const q = project(this.wQ);
    const k = project(this.wK);
    const v = project(this.wV);
    const scale = 1 / Math.sqrt(H);
    const logits = new Float64Array(window);
    const u = new Float64Array(H);
    const scores = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      const end = Math.min(T, i + window);
      let max = -Infinity;
      for (let j = i; j < end; j++) {
        let s = 0;
        for (let h = 0; h < H; h++) s += q[i * H + h] * k[j * H + h];
        logits[j - i] = s * scale;
        if (logits[j - i] > max) max = logits[j - i];
      }
      let sum = 0;
      for (let j = i; j < end; j++) sum += logits[j - i] = Math.exp(logits[j - i] - max);
      u.fill(0);
      for (let j = i; j < end; j++) {
        const a = logits[j - i] / sum;
        for (let h = 0; h < H; h++) u[h] += a * v[j * H + h];
      }
      let out = this.bO;
      for (let h = 0; h < H; h++) {
        let s = z[i * H + h];
        for (let f = 0; f < H; f++) s += u[f] * this.wU[f * H + h];
        out += Math.tanh(s) * this.wO[h];
      }
      scores[i] = out;
    }
    return scores;
  }
}
