// The parallel infill sampler: a canvas of <mask> slots at the cursor is refined by the denoiser;
// each forward pass commits every eligible slot whose confidence clears the threshold (at least the
// single most confident one), so easy spans finish in a few passes. The first committed <eos> ends
// the span, so its length is the model's choice, not the canvas size.
//
// Which slots are eligible (the "end" rule of training/completion/eval.py): the span currently ends at
// the first masked slot whose best guess is <eos>; only slots before it may commit, and that <eos>
// itself only once it is the leftmost masked slot, or in the same pass as the last slots before it when
// it clears the threshold. Letting far <eos> slots commit first makes the end creep left (spans came out
// 4x too short in the first evaluation).
//
// Single-line mode (`endsSpan`): a token that ends the line (its text holds a line break) is a second kind
// of end. It is treated like <eos> for eligibility (slots after it wait; it commits once leftmost or with
// the last slots before it), and once committed it closes the span right after itself, so the sampler never
// spends passes on text the post-processing would cut (the AR twin stops at the line break the same way).
//
// `finished` generalises that to multi-line mode: once the committed run from the canvas start already
// holds what post-processing would cut (a line dedented past the block), the span stops there.
//
// Healing (see context.ts): the canvas may start with `fixed` tokens (the line typed so far, but its
// last token) and a `rest` text (that last token's text) the next slots must spell. The leftmost masked
// slot then only takes tokens that agree with `rest` (start with it, or are a prefix of it), so a word
// cut by the cursor ("retu|") can still become the token the model knows ("return"). Until `rest` is
// spelled, each pass commits only that slot.

/** Probabilities (softmaxed) over the vocabulary for each masked slot, in the order asked. */
export type Denoise = (canvas: Int32Array, masked: number[]) => Promise<Float32Array>;

export interface SamplerOptions {
  denoise: Denoise;
  canvasSize: number;
  vocabSize: number;
  maskId: number;
  eosId: number;
  /** Commit every slot at or above this confidence in one pass; 1 (or above) means one slot per pass. */
  threshold: number;
  /** Give up (no suggestion) when a committed token's confidence falls below this. */
  minConfidence?: number;
  /** Checked before every forward pass. */
  cancellation?: { readonly isCancellationRequested: boolean };
  /** Tokens given at the start of the canvas (the typed line; see above). */
  fixed?: number[];
  /** Text the tokens after `fixed` must spell first; needs `tokenText`. */
  rest?: string;
  /** The text of a token id ('' for control tokens). */
  tokenText?: (id: number) => string;
  /** Tokens that end the span after themselves (single-line mode: tokens holding a line break). */
  endsSpan?: (id: number) => boolean;
  /**
   * Asked after each pass with the committed tokens from the canvas start up to the first masked slot;
   * true ends the span there (multi-line mode: the block has ended, so post-processing would cut the rest).
   */
  finished?: (ids: number[]) => boolean;
  /** Only the first `window` masked slots (left to right) may commit in a pass (semi-autoregressive order); all when absent. */
  window?: number;
  /**
   * Tokens one slot may not take: a second answer that must not start as the first did, or that must not end
   * the line at once where the typed line still needs an operand.
   */
  barred?: { slot: number; bars: (id: number) => boolean };
}

export interface SampleResult {
  status: 'done' | 'cancelled' | 'low-confidence';
  /** The span's token ids (the fixed ones first), without <eos> and what follows it. */
  ids: number[];
  forwards: number;
  /** Lowest confidence among the committed span tokens (1 for an empty span). */
  minCommittedConfidence: number;
  /** Each id's confidence when it was committed (1 for the fixed ones); [] when no span came out. */
  confidences: number[];
}

export async function sampleInfill(o: SamplerOptions): Promise<SampleResult> {
  const canvas = new Int32Array(o.canvasSize).fill(o.maskId);
  const confidence = new Float32Array(o.canvasSize).fill(1);
  const fixed = o.fixed ?? [];
  if (fixed.length >= o.canvasSize) throw new RangeError(`${fixed.length} fixed tokens do not fit a canvas of ${o.canvasSize}`);
  canvas.set(fixed);
  let rest = o.rest ?? '';
  if (rest && !o.tokenText) throw new TypeError('sampleInfill: `rest` needs `tokenText`');
  let forwards = 0;
  const isEnd = (id: number) => id === o.eosId || (o.endsSpan?.(id) ?? false);
  for (;;) {
    const end = spanEnd(canvas, o.maskId, o.eosId, o.endsSpan);
    const masked: number[] = [];
    for (let i = 0; i < end; i++) if (canvas[i] === o.maskId) masked.push(i);
    if (masked.length === 0) break;
    if (o.cancellation?.isCancellationRequested) return { status: 'cancelled', ids: [], forwards, minCommittedConfidence: 0, confidences: [] };

    const probs = await o.denoise(canvas, masked);
    forwards++;
    const bar = o.barred;
    const guesses = masked.map((slot, k) => argmaxRow(probs, k, o.vocabSize, slot, bar?.slot === slot ? bar.bars : undefined));
    if (rest) {
      // The leftmost masked slot continues the typed text: it commits, alone unless `rest` is now spelled.
      const heal = healStep(probs, 0, o.vocabSize, rest, o.tokenText!, bar?.slot === masked[0] ? bar.bars : undefined);
      if (!heal) return { status: 'low-confidence', ids: [], forwards, minCommittedConfidence: 0, confidences: [] };
      canvas[masked[0]] = heal.id;
      rest = heal.rest;
      if (rest) continue;
      guesses.shift();
    }
    const endIndex = guesses.findIndex((g) => isEnd(g.id));
    const eligible = endIndex < 0 ? guesses : guesses.slice(0, endIndex === 0 ? 1 : endIndex);
    const best = o.window === undefined ? eligible : eligible.slice(0, Math.max(1, o.window));
    // The most confident eligible slot always commits, so every pass makes progress.
    best.sort((a, b) => b.p - a.p);
    let k = 0;
    for (; k < best.length; k++) {
      if (k > 0 && best[k].p < o.threshold) break;
      canvas[best[k].slot] = best[k].id;
      confidence[best[k].slot] = best[k].p;
    }
    // When this pass committed every slot before the end, each above the threshold, and the end itself clears
    // it too, the end commits now (it would be the leftmost masked slot next pass): one pass fewer per span.
    if (endIndex > 0 && best.length === eligible.length && k === best.length && best[k - 1].p >= o.threshold && guesses[endIndex].p >= o.threshold) {
      canvas[guesses[endIndex].slot] = guesses[endIndex].id;
      confidence[guesses[endIndex].slot] = guesses[endIndex].p;
    }
    if (o.finished) {
      let run = 0;
      while (run < canvas.length && canvas[run] !== o.maskId && canvas[run] !== o.eosId) run++;
      if (run < canvas.length && canvas[run] !== o.eosId && o.finished(Array.from(canvas.subarray(0, run)))) {
        canvas.fill(o.eosId, run); // what follows is discarded: the span ends here
      }
    }
  }
  if (rest) return { status: 'low-confidence', ids: [], forwards, minCommittedConfidence: 0, confidences: [] };
  const end = spanEnd(canvas, o.maskId, o.eosId, o.endsSpan);
  const ids = Array.from(canvas.subarray(0, end));
  return finalResult(ids, Array.from(confidence.subarray(0, end)), forwards, o.minConfidence);
}

function finalResult(ids: number[], confidences: number[], forwards: number, minConfidence: number | undefined): SampleResult {
  const minConf = confidences.reduce((m, c) => Math.min(m, c), 1);
  const status = minConfidence !== undefined && minConf < minConfidence ? 'low-confidence' : 'done';
  return { status, ids, forwards, minCommittedConfidence: minConf, confidences };
}

/**
 * `sampleInfill` on a canvas that grows: it starts at `canvasSize` and, while a span fills the whole canvas
 * without ending, goes on with the committed tokens given on a canvas with twice the free slots (at most
 * `maxCanvas`). Forward passes add up over the rounds; a token keeps the confidence it was committed with in
 * its round (given again, it would count as 1), so the gate sees the least over all rounds.
 */
export async function sampleGrowing(o: SamplerOptions & { maxCanvas: number }): Promise<SampleResult> {
  const fixed = o.fixed ?? [];
  let size = Math.min(o.canvasSize, o.maxCanvas);
  let given = fixed;
  let rest = o.rest;
  let forwards = 0;
  let earlier: number[] = [];
  for (;;) {
    const r = await sampleInfill({ ...o, canvasSize: size, fixed: given, rest });
    forwards += r.forwards;
    const open = r.status === 'done' && r.ids.length === size && !(o.endsSpan?.(r.ids[size - 1]) ?? false);
    if (!open || size >= o.maxCanvas) {
      if (r.status === 'cancelled' || !earlier.length || !r.ids.length) return { ...r, forwards };
      return finalResult(r.ids, [...earlier, ...r.confidences.slice(earlier.length)], forwards, o.minConfidence);
    }
    earlier = [...earlier, ...r.confidences.slice(earlier.length)];
    given = r.ids;
    rest = '';
    size = Math.min(o.maxCanvas, 2 * size - fixed.length);
  }
}

/** The span's ids before its first token (after the `from` given ones) committed under `minConfidence`. */
export function sureIds(r: Pick<SampleResult, 'ids' | 'confidences'>, from: number, minConfidence: number): number[] {
  let i = from;
  while (i < r.ids.length && r.confidences[i] >= minConfidence) i++;
  return r.ids.slice(0, i);
}

/** Whether a token with text `t` may come next when the span must still spell `rest`. */
export function agreesWith(t: string, rest: string): boolean {
  return t.length > 0 && (t.startsWith(rest) || rest.startsWith(t));
}

/**
 * One healing step, shared by both decoders: the highest-scoring token in `scores[base .. base+vocab)`
 * (probabilities or logits) that agrees with `rest` and is not `barred`, and the text still to spell after
 * it; null when no token agrees. Control tokens have no text, so they never agree.
 */
export function healStep(
  scores: Float32Array,
  base: number,
  vocab: number,
  rest: string,
  tokenText: (id: number) => string,
  barred?: (id: number) => boolean,
): { id: number; rest: string } | null {
  let best = -1;
  for (let v = 0; v < vocab; v++) {
    if ((best < 0 || scores[base + v] > scores[base + best]) && agreesWith(tokenText(v), rest) && !barred?.(v)) best = v;
  }
  if (best < 0) return null;
  const text = tokenText(best);
  return { id: best, rest: text.startsWith(rest) ? '' : rest.slice(text.length) };
}

/** Index of the first committed <eos>, or just after the first committed line end, or the canvas size. */
function spanEnd(canvas: Int32Array, maskId: number, eosId: number, endsSpan?: (id: number) => boolean): number {
  for (let i = 0; i < canvas.length; i++) {
    const id = canvas[i];
    if (id === eosId) return i;
    if (id !== maskId && endsSpan?.(id)) return i + 1;
  }
  return canvas.length;
}

/** The best token of a row of `probs`, other than those `barred`. */
function argmaxRow(probs: Float32Array, row: number, vocab: number, slot: number, barred?: (id: number) => boolean): { slot: number; id: number; p: number } {
  let id = 0;
  let p = -Infinity;
  const base = row * vocab;
  for (let v = 0; v < vocab; v++) {
    if (probs[base + v] > p && !barred?.(v)) {
      p = probs[base + v];
      id = v;
    }
  }
  return { slot, id, p };
}
