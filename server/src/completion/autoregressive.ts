// The autoregressive fill-in-the-middle twin at run time: the baseline the diffusion model must beat
// (benchmark), selectable with `nanomind.completion.decoder`. Prefix-suffix-middle prompt, KV cache,
// greedy, one forward pass per token. Tensor names follow training/completion/export.py (ar_step).
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { SPECIAL_TOKEN_NAMES, type SpecialTokenIds } from '../runtime/tokenizer';
import type { DiffusionSpec } from './diffusion';
import { healStep } from './sampler';

type TensorCtor = new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: readonly number[]) => OrtTensor;

/** Ids below this are control tokens; only <eos> among them may be generated. */
const controlTokens = SPECIAL_TOKEN_NAMES.length;

export interface ArResult {
  ids: number[];
  forwards: number;
  cancelled: boolean;
}

export class AutoregressiveModel {
  constructor(
    private readonly spec: Pick<DiffusionSpec, 'nLayer' | 'nHead' | 'headDim' | 'vocabSize'>,
    private readonly session: InferenceSession,
    private readonly Tensor: TensorCtor,
  ) {}

  /**
   * Greedy middle for (prefix, suffix): stops at <eos>, after `maxTokens` generated tokens, or — when
   * `endsSpan` says so for a generated token (a line break in single-line mode) — right after that token.
   * The middle starts with `heal.fixed` (the typed line) and its next tokens must spell `heal.rest`
   * (the same healing as the diffusion sampler); the result's ids include the fixed ones.
   */
  async infill(
    prefixIds: number[],
    suffixIds: number[],
    special: SpecialTokenIds,
    maxTokens: number,
    endsSpan: (id: number) => boolean,
    cancelled: () => boolean,
    heal: { fixed: number[]; rest: string; tokenText: (id: number) => string } = { fixed: [], rest: '', tokenText: () => '' },
  ): Promise<ArResult> {
    const { nLayer, nHead, headDim, vocabSize } = this.spec;
    const prompt = [special.fimPrefix, ...prefixIds, special.fimSuffix, ...suffixIds, special.fimMiddle, ...heal.fixed];
    let rest = heal.rest;
    let pastK = new this.Tensor('float32', new Float32Array(0), [nLayer, 1, nHead, 0, headDim]);
    let pastV = pastK;
    let feed = prompt;
    let position = 0;
    const ids: number[] = [...heal.fixed];
    let forwards = 0;
    while (ids.length - heal.fixed.length < maxTokens) {
      if (cancelled()) return { ids, forwards, cancelled: true };
      const out = await this.session.run({
        ids: new this.Tensor('int64', BigInt64Array.from(feed, BigInt), [1, feed.length]),
        pos: new this.Tensor('int64', BigInt64Array.from(feed, (_, i) => BigInt(position + i)), [1, feed.length]),
        past_k: pastK,
        past_v: pastV,
      });
      forwards++;
      position += feed.length;
      pastK = out.present_k;
      pastV = out.present_v;
      const logits = out.logits.data as Float32Array;
      let next: number;
      if (rest) {
        const step = healStep(logits, 0, vocabSize, rest, heal.tokenText);
        if (!step) break; // nothing spells the typed text: the caller sees no suggestion
        next = step.id;
        rest = step.rest;
      } else {
        next = argmaxAllowed(logits, vocabSize, special.eos);
        if (next === special.eos) break;
      }
      ids.push(next);
      if (endsSpan(next)) break;
      feed = [next];
    }
    return { ids, forwards, cancelled: false };
  }
}

function argmaxAllowed(logits: Float32Array, vocab: number, eos: number): number {
  let best = eos;
  let bestLogit = logits[eos];
  for (let v = controlTokens; v < vocab; v++) {
    if (logits[v] > bestLogit) {
      bestLogit = logits[v];
      best = v;
    }
  }
  return best;
}
