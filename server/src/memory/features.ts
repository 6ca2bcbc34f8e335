// What the memory brain knows of each context token: the attention it receives, never its text.
// Per encoded chunk the encode graph gives, per layer, the attention each visible token receives averaged over
// the chunk's queries and heads (`attention_received`, training/completion/export.py). Per token and layer we
// keep the last `frame` chunk-steps of that signal, take the magnitudes of its windowed Fourier transform (a
// short-time spectrogram over the query axis) and fold them into an exponential moving average; with the age
// and the distance to the cursor that is the scorer's input. training/namm/namm.py is the reference
// (test/unit/memoryReference.test.ts compares the two on fixed attention).

export const frame = 4;
export const bins = frame / 2 + 1;
const gamma = 0.8;
const ageScale = Math.log1p(128);
const distScale = Math.log1p(8192);
/** numpy.hanning(frame + 2) without its two zero ends: every sample of the frame counts. */
const hann = Float64Array.from({ length: frame }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 1)) / (frame + 1)));
/** cos and sin of the rfft's twiddles, flat [bin * frame + sample]. */
const cosTwiddle = Float64Array.from({ length: bins * frame }, (_, i) => Math.cos((2 * Math.PI * Math.floor(i / frame) * (i % frame)) / frame));
const sinTwiddle = Float64Array.from({ length: bins * frame }, (_, i) => Math.sin((2 * Math.PI * Math.floor(i / frame) * (i % frame)) / frame));
/** One layer's windowed frame, reused by every call (this runs for every visible token at every chunk step). */
const windowed = new Float64Array(frame);

export const featureCount = (nLayer: number): number => bins * nLayer + 2;

/** The feature state of one token: per layer its last `frame` samples and the moving average of their spectrum. */
export interface TokenFeatures {
  /** [layer][frame], oldest first. */
  ring: Float64Array;
  /** [layer][bin]. */
  ema: Float64Array;
  /** Chunk steps this token has been seen by. */
  age: number;
  /** Sum over steps and layers of the normalized attention received (H2O's statistic, for the benchmark). */
  received: number;
}

export function newTokenFeatures(nLayer: number): TokenFeatures {
  return { ring: new Float64Array(nLayer * frame), ema: new Float64Array(nLayer * bins), age: 0, received: 0 };
}

export function copyTokenFeatures(f: TokenFeatures): TokenFeatures {
  return { ring: f.ring.slice(), ema: f.ema.slice(), age: f.age, received: f.received };
}

/**
 * One chunk step for one token: `received(layer)` is the attention it got from the chunk (head and query mean),
 * `visible` the number of keys the chunk's queries could see (so that a uniform share reads 1).
 */
export function stepToken(f: TokenFeatures, nLayer: number, received: (layer: number) => number, visible: number): void {
  // Flat typed arrays and one shared scratch frame: the first encode of a session runs this before the JIT has
  // optimized it, where nested arrays cost ~20 ms of the first suggestion (bench/first-suggestion.ts).
  const { ring, ema } = f;
  for (let l = 0; l < nLayer; l++) {
    const x = Math.log1p(received(l) * visible);
    f.received += x;
    const r = l * frame;
    for (let n = 0; n < frame - 1; n++) ring[r + n] = ring[r + n + 1];
    ring[r + frame - 1] = x;
    for (let n = 0; n < frame; n++) windowed[n] = ring[r + n] * hann[n];
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < frame; n++) {
        re += windowed[n] * cosTwiddle[k * frame + n];
        im -= windowed[n] * sinTwiddle[k * frame + n];
      }
      ema[l * bins + k] = gamma * ema[l * bins + k] + (1 - gamma) * Math.hypot(re, im);
    }
  }
  f.age += 1;
}

/** The scorer's input for one token, written into `out` at `offset` (featureCount numbers). */
export function writeFeatures(f: TokenFeatures, position: number, cursor: number, out: Float64Array, offset: number): void {
  out.set(f.ema, offset);
  out[offset + f.ema.length] = Math.log1p(f.age) / ageScale;
  out[offset + f.ema.length + 1] = Math.log1p(Math.abs(position - cursor)) / distScale;
}
