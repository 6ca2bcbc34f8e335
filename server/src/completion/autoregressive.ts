// The autoregressive fill-in-the-middle twin at run time: the baseline the diffusion model must beat
// (benchmark), selectable with `nanomind.completion.decoder`. Prefix-suffix-middle prompt, KV cache,
// greedy, one forward pass per token. Tensor names follow training/completion/export.py (ar_step).
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { SPECIAL_TOKEN_NAMES, type SpecialTokenIds } from '../runtime/tokenizer';
import { kvNames, type DiffusionSpec } from './diffusion';
import { healStep } from './sampler';
import { PromptMemory } from '../memory/documentMemories';

type TensorCtor = new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: readonly number[]) => OrtTensor;

/** Ids below this are control tokens; only <eos> among them may be generated. */
const controlTokens = SPECIAL_TOKEN_NAMES.length;

export interface ArResult {
  ids: number[];
  forwards: number;
  cancelled: boolean;
  /** Lowest probability among the generated tokens (1 when none): the same confidence gate as the sampler's. */
  minConfidence: number;
}

export class AutoregressiveModel {
  private readonly pastNames: string[];
  private readonly presentNames: string[];

  constructor(
    private readonly spec: Pick<DiffusionSpec, 'nLayer' | 'nHead' | 'headDim' | 'vocabSize'>,
    private readonly session: InferenceSession,
    private readonly Tensor: TensorCtor,
  ) {
    this.pastNames = kvNames('past', spec.nLayer);
    this.presentNames = kvNames('present', spec.nLayer);
  }

  /**
   * Greedy middle for (prefix, suffix): stops at <eos>, after `maxTokens` generated tokens, or — when
   * `endsSpan` says so for a generated token (a line break in single-line mode) — right after that token.
   * The middle starts with `heal.fixed` (the typed line) and its next tokens must spell `heal.rest`
   * (the same healing as the diffusion sampler); the result's ids include the fixed ones. `barred`: the tokens the
   * middle's id at `index` may not be (a second answer that must not start as the first did, or must not end the
   * line at once).
   */
  async infill(
    prefixIds: number[],
    suffixIds: number[],
    special: SpecialTokenIds,
    maxTokens: number,
    endsSpan: (id: number) => boolean,
    cancelled: () => boolean,
    heal: { fixed: number[]; rest: string; tokenText: (id: number) => string } = { fixed: [], rest: '', tokenText: () => '' },
    memory: PromptMemory = new PromptMemory(),
    barred?: { index: number; bars: (id: number) => boolean },
  ): Promise<ArResult> {
    const { vocabSize } = this.spec;
    const prompt = [special.fimPrefix, ...prefixIds, special.fimSuffix, ...suffixIds, special.fimMiddle, ...heal.fixed];
    let rest = heal.rest;
    // Reuse the K/V of the longest common prefix with the document's last prompt (at least one token is
    // always run again unless the whole prompt matches, whose logits were kept).
    let same = 0;
    while (same < prompt.length && same < memory.ids.length && prompt[same] === memory.ids[same]) same++;
    const whole = same === prompt.length && same === memory.ids.length && memory.logits.length > 0;
    if (!whole) same = Math.min(same, prompt.length - 1);
    memory.lastReused = same;
    let past = this.keep(memory, same);
    let feed = whole ? [] : prompt.slice(same);
    let position = same;
    const ids: number[] = [...heal.fixed];
    let forwards = 0;
    let minConfidence = 1;
    while (ids.length - heal.fixed.length < maxTokens) {
      if (cancelled()) return { ids, forwards, cancelled: true, minConfidence };
      let logits: Float32Array;
      if (feed.length === 0) {
        logits = memory.logits;
      } else {
        const feeds: Record<string, OrtTensor> = {
          ids: new this.Tensor('int64', BigInt64Array.from(feed, BigInt), [1, feed.length]),
          pos: new this.Tensor(
            'int64',
            BigInt64Array.from(feed, (_, i) => BigInt(position + i)),
            [1, feed.length],
          ),
        };
        this.pastNames.forEach((name, i) => (feeds[name] = past[i]));
        const out = await this.session.run(feeds);
        forwards++;
        position += feed.length;
        past = this.presentNames.map((name) => out[name]);
        logits = out.logits.data as Float32Array; // [1, vocab]: the last position only
        if (position === prompt.length) {
          // The prompt is complete: remember it for the next request on this document.
          memory.ids = prompt;
          memory.layers = past.map((t) => t.data as Float32Array);
          memory.logits = logits;
        }
      }
      let next: number;
      if (rest) {
        const step = healStep(logits, 0, vocabSize, rest, heal.tokenText, barred?.index === ids.length ? barred.bars : undefined);
        if (!step) break; // nothing spells the typed text: the caller sees no suggestion
        next = step.id;
        rest = step.rest;
      } else {
        next = argmaxAllowed(logits, vocabSize, special.eos, barred?.index === ids.length ? barred.bars : undefined);
        if (next === special.eos) break;
        // Healed tokens spell what the user typed and the closing <eos> is not shown: neither counts (as in the sampler).
        minConfidence = Math.min(minConfidence, probabilityOfBest(logits, vocabSize, next, special.eos));
      }
      ids.push(next);
      if (endsSpan(next)) break;
      feed = [next];
    }
    return { ids, forwards, cancelled: false, minConfidence };
  }

  /** The memory's K/V cut to its first `tokens` positions, as one past tensor per layer and kind. */
  private keep(memory: PromptMemory, tokens: number): OrtTensor[] {
    const { nHead, headDim } = this.spec;
    const dims = [1, nHead, tokens, headDim];
    const cached = memory.ids.length;
    return this.pastNames.map((_, i) => {
      const src = memory.layers[i] ?? new Float32Array(0);
      if (tokens === cached) return new this.Tensor('float32', src, dims);
      const out = new Float32Array(nHead * tokens * headDim);
      for (let h = 0; h < nHead; h++) out.set(src.subarray(h * cached * headDim, (h * cached + tokens) * headDim), h * tokens * headDim);
      return new this.Tensor('float32', out, dims);
    });
  }
}

/**
 * Softmax probability of `best`, the argmaxAllowed pick, over the tokens the decoder may pick (<eos> and the
 * non-control ones): its logit is their maximum, so one pass sums the rest.
 */
function probabilityOfBest(logits: Float32Array, vocab: number, best: number, eos: number): number {
  const max = logits[best];
  let sum = Math.exp(logits[eos] - max);
  for (let v = controlTokens; v < vocab; v++) sum += Math.exp(logits[v] - max);
  return 1 / sum;
}

/** The best of <eos> and the non-control tokens, other than those `barred`. */
function argmaxAllowed(logits: Float32Array, vocab: number, eos: number, barred?: (id: number) => boolean): number {
  const eosBarred = barred?.(eos) ?? false;
  let best = eosBarred ? -1 : eos;
  let bestLogit = eosBarred ? -Infinity : logits[eos];
  for (let v = controlTokens; v < vocab; v++) {
    if (logits[v] > bestLogit && !barred?.(v)) {
      bestLogit = logits[v];
      best = v;
    }
  }
  return best;
}
