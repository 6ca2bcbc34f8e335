// The parallel infill sampler on fixed, hand-written distributions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sampleGrowing, sampleInfill, type Denoise } from '../../server/src/completion/sampler';

const V = 6; // ids: 0..3 words, 4 <eos>, 5 <mask>
const EOS = 4;
const MASK = 5;

/** A denoiser that wants `target` (padded with <eos>) with a confidence per slot. */
function fixed(target: number[], conf: number[], calls: number[][] = []): Denoise {
  return async (canvas, masked) => {
    calls.push([...masked]);
    const probs = new Float32Array(masked.length * V);
    masked.forEach((slot, k) => {
      const want = target[slot] ?? EOS;
      const p = conf[slot] ?? 0.99;
      for (let v = 0; v < V; v++) probs[k * V + v] = v === want ? p : (1 - p) / (V - 1);
    });
    assert.ok(canvas.length > 0);
    return probs;
  };
}

const base = { canvasSize: 8, vocabSize: V, maskId: MASK, eosId: EOS };

describe('sampleInfill', () => {
  it('commits all confident slots and the closing <eos> in one pass', async () => {
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed([1, 2, 3], []) });
    assert.deepEqual(r.ids, [1, 2, 3]);
    assert.equal(r.forwards, 1);
    assert.equal(r.status, 'done');
  });

  it('an <eos> under the threshold waits for a pass of its own', async () => {
    const calls: number[][] = [];
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed([1, 2, 3], [0.99, 0.99, 0.99, 0.6], calls) });
    assert.deepEqual(r.ids, [1, 2, 3]);
    assert.equal(r.forwards, 2);
    assert.deepEqual(calls[1], [3, 4, 5, 6, 7], 'pass 2 asks from the <eos> on');
  });

  it('an <eos> never commits while a slot before it stays masked', async () => {
    const calls: number[][] = [];
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed([1, 2], [0.99, 0.5], calls) });
    assert.deepEqual(r.ids, [1, 2]);
    assert.deepEqual(
      calls,
      [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [1, 2, 3, 4, 5, 6, 7],
        [2, 3, 4, 5, 6, 7],
      ],
      'pass 1: slot 0; pass 2: slot 1 (forced, under the threshold); pass 3: the <eos>',
    );
  });

  it('commits one slot per pass in one-token mode, most confident first', async () => {
    const calls: number[][] = [];
    const conf = [0.5, 0.95, 0.7, 0.99];
    const r = await sampleInfill({ ...base, canvasSize: 4, threshold: 1.01, denoise: fixed([1, 2, 3, 0], conf, calls) });
    assert.deepEqual(r.ids, [1, 2, 3, 0]);
    assert.equal(r.forwards, 4);
    assert.deepEqual(calls[1], [0, 1, 2], 'slot 3 (0.99) was committed first');
    assert.deepEqual(calls[2], [0, 2], 'then slot 1 (0.95)');
  });

  it('with a window, only the leftmost masked slots may commit: a sure slot further right waits its turn', async () => {
    const calls: number[][] = [];
    // Slot 3 is the surest, but with a window of 2 only slots 0 and 1 are eligible in pass 1.
    const conf = [0.95, 0.5, 0.95, 0.99];
    const r = await sampleInfill({ ...base, canvasSize: 4, threshold: 0.9, window: 2, denoise: fixed([1, 2, 3, 0], conf, calls) });
    assert.deepEqual(r.ids, [1, 2, 3, 0]);
    assert.deepEqual(
      calls,
      [[0, 1, 2, 3], [1, 2, 3], [1, 3], [1]],
      'each pass: the surest of the two leftmost masked slots (0, then 2, then 3), the unsure slot 1 last',
    );
    const free = await sampleInfill({ ...base, canvasSize: 4, threshold: 0.9, denoise: fixed([1, 2, 3, 0], conf) });
    assert.equal(free.forwards, 2, 'without a window slots 0, 2 and 3 commit in pass 1');
  });

  it('with a window, the span end still commits in the pass that fills the slots before it', async () => {
    const r = await sampleInfill({ ...base, threshold: 0.9, window: 4, denoise: fixed([1, 2, 3], []) });
    assert.deepEqual(r.ids, [1, 2, 3]);
    assert.equal(r.forwards, 1);
    const calls: number[][] = [];
    const long = await sampleInfill({ ...base, threshold: 0.9, window: 2, denoise: fixed([1, 2, 3], [], calls) });
    assert.deepEqual(long.ids, [1, 2, 3]);
    assert.deepEqual(
      calls,
      [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [2, 3, 4, 5, 6, 7],
      ],
      'the <eos> waits while slot 2 is outside the window, then commits with it',
    );
  });

  it('ends the span at the first slot that wants <eos>, committing that <eos> only when it is leftmost or all before it cleared the threshold', async () => {
    const calls: number[][] = [];
    const target = [1, EOS, 2, 3, 3, 3, 3, 3];
    const conf = [0.5, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99];
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed(target, conf, calls) });
    assert.deepEqual(r.ids, [1]);
    assert.equal(r.forwards, 2, 'pass 1 commits slot 0 only (0.5: under the threshold, so the <eos> waits); pass 2 the <eos>');
    assert.deepEqual(calls[1], [1, 2, 3, 4, 5, 6, 7]);
  });

  it('stops once the <eos> is committed, leaving later slots unasked', async () => {
    const calls: number[][] = [];
    const target = [1, 2, EOS, 3, 3, 3, 3, 3];
    const conf = [0.95, 0.5, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99];
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed(target, conf, calls) });
    assert.deepEqual(r.ids, [1, 2]);
    assert.deepEqual(
      calls,
      [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [1, 2, 3, 4, 5, 6, 7],
        [2, 3, 4, 5, 6, 7],
      ],
      'slot 1 (0.5) is forced in pass 2, so the <eos> waits',
    );
  });

  it('an <eos> in the first slot is an empty suggestion', async () => {
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed([], []) });
    assert.deepEqual(r.ids, []);
  });

  it('reports low confidence instead of a guess', async () => {
    const r = await sampleInfill({ ...base, threshold: 0.9, minConfidence: 0.4, denoise: fixed([1, 2], [0.3, 0.99]) });
    assert.equal(r.status, 'low-confidence');
    assert.ok(Math.abs(r.minCommittedConfidence - 0.3) < 1e-6);
  });

  it('stops between passes when cancelled', async () => {
    const token = { isCancellationRequested: false };
    let passes = 0;
    const slow: Denoise = async (canvas, masked) => {
      passes++;
      if (passes === 2) token.isCancellationRequested = true;
      return fixed([1, 2, 3, 1, 2, 3, 1, 2], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])(canvas, masked);
    };
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: slow, cancellation: token });
    assert.equal(r.status, 'cancelled');
    assert.equal(r.forwards, 2);
  });

  it('a barred token is never taken by its slot: the slot takes its next best', async () => {
    // Slot 0 wants 1 most (0.6), then 2 (0.3); barred from 1, it takes 2, with 2's own probability.
    const denoise: Denoise = async (_canvas, masked) => {
      const probs = new Float32Array(masked.length * V);
      masked.forEach((slot, k) => {
        const row = slot === 0 ? [0.02, 0.6, 0.3, 0.04, 0.04, 0] : slot === 1 ? [0, 0.99, 0, 0, 0.01, 0] : [0, 0, 0, 0, 1, 0];
        probs.set(row, k * V);
      });
      return probs;
    };
    const free = await sampleInfill({ ...base, threshold: 0.9, denoise });
    assert.deepEqual(free.ids, [1, 1]);
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise, barred: { slot: 0, bars: (id) => id === 1 } });
    assert.deepEqual(r.ids, [2, 1]);
    assert.ok(Math.abs(r.confidences[0] - 0.3) < 1e-6, 'its confidence is its own probability, not renormalised');
    const other = await sampleInfill({ ...base, threshold: 0.9, denoise, barred: { slot: 1, bars: (id) => id === 4 } });
    assert.deepEqual(other.ids, [1, 1], 'a bar on another slot, for another token, changes nothing here');
  });

  describe('single-line mode: a line-ending token closes the span', () => {
    // Token 3 stands for a token holding a line break.
    const endsSpan = (id: number) => id === 3;

    it('ends the span right after the committed line break, nothing after it', async () => {
      const calls: number[][] = [];
      const target = [1, 2, 3, 1, 1, 1, 1, 1];
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed(target, [], calls), endsSpan });
      assert.deepEqual(r.ids, [1, 2, 3], 'the line break is part of the span, nothing after it');
      assert.equal(r.forwards, 1, 'one pass commits the words before the break and, with them all committed, the break');
      assert.equal(r.status, 'done');
    });

    it('does not let a confident line break commit before the slots ahead of it', async () => {
      const calls: number[][] = [];
      const target = [1, 2, 3];
      const conf = [0.5, 0.5, 0.99];
      const r = await sampleInfill({ ...base, canvasSize: 3, threshold: 0.9, denoise: fixed(target, conf, calls), endsSpan });
      assert.deepEqual(r.ids, [1, 2, 3]);
      assert.deepEqual(calls, [[0, 1, 2], [1, 2], [2]], 'one slot per pass from the left (each forced, under the threshold) while the break waits');
    });

    it('without the rule, the same canvas is filled to the end', async () => {
      const target = [1, 2, 3, 1, 1, 1, 1, 1];
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed(target, []) });
      assert.deepEqual(r.ids, target);
    });
  });

  it('stops where `finished` says the committed run is complete (a block that has ended)', async () => {
    const calls: number[][] = [];
    const target = [1, 2, 3, 1, 1, 1, 1, 1];
    const conf = [0.99, 0.99, 0.99, 0.5, 0.5, 0.5, 0.5, 0.5];
    // "Finished" once token 3 is in the committed run; the slots after it are never committed.
    const finished = (ids: number[]) => ids.includes(3);
    const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed(target, conf, calls), finished });
    assert.deepEqual(r.ids, [1, 2, 3]);
    assert.equal(r.forwards, 1, 'the first pass commits 1 2 3 and the span ends there');
  });

  describe('healing the typed line', () => {
    // Token texts for the healing tests: 0 'ret', 1 'return', 2 ' x', 3 'urn', 4 <eos>, 5 <mask>.
    const texts = ['ret', 'return', ' x', 'urn', '', ''];
    const tokenText = (id: number) => texts[id];
    /** A denoiser with a fixed probability row per slot (slots not listed want <eos>). */
    const rows =
      (bySlot: Record<number, number[]>, calls: number[][], check: (canvas: Int32Array) => void = () => {}): Denoise =>
      async (canvas, masked) => {
        calls.push([...masked]);
        check(canvas);
        const probs = new Float32Array(masked.length * V);
        masked.forEach((slot, k) => (bySlot[slot] ?? [0, 0, 0, 0, 1]).forEach((p, v) => (probs[k * V + v] = p)));
        return probs;
      };

    it('keeps the fixed tokens and makes the next slot spell the typed rest, even against the model', async () => {
      const calls: number[][] = [];
      // The model prefers ' x' at slot 1, but the user typed 're': only 'ret' / 'return' agree.
      const denoise = rows({ 1: [0.1, 0.3, 0.6, 0, 0], 2: [0, 0, 0.95, 0.05, 0] }, calls, (canvas) =>
        assert.equal(canvas[0], 2, 'the fixed token stays on the canvas'),
      );
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise, fixed: [2], rest: 're', tokenText });
      assert.deepEqual(r.ids, [2, 1, 2]);
      assert.deepEqual(calls[0], [1, 2, 3, 4, 5, 6, 7], 'the fixed slot is never asked');
      assert.equal(r.status, 'done');
    });

    it('spells a rest longer than one token over several passes, one slot each', async () => {
      const calls: number[][] = [];
      const denoise = rows({ 0: [0.6, 0.4, 0, 0, 0], 1: [0, 0, 0.2, 0.8, 0] }, calls);
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise, rest: 'return', tokenText });
      assert.deepEqual(r.ids, [0, 3]);
      assert.deepEqual(
        calls,
        [
          [0, 1, 2, 3, 4, 5, 6, 7],
          [1, 2, 3, 4, 5, 6, 7],
        ],
        "pass 1 commits 'ret' alone; pass 2 'urn' and the <eos>",
      );
    });

    it('a bar on the healed slot holds there too: the slot takes the best agreeing token not barred', async () => {
      // 'return' (1) would spell the rest 're' best; barred, the slot takes 'ret' (0) and the next spells 'urn'.
      const denoise = rows({ 0: [0.3, 0.6, 0, 0, 0], 1: [0, 0, 0.2, 0.8, 0] }, []);
      const free = await sampleInfill({ ...base, threshold: 0.9, denoise, rest: 're', tokenText });
      assert.deepEqual(free.ids, [1, 3]);
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise, rest: 're', tokenText, barred: { slot: 0, bars: (id) => id === 1 } });
      assert.deepEqual(r.ids, [0, 3]);
    });

    it('gives no suggestion when no token agrees with the typed text', async () => {
      const r = await sampleInfill({ ...base, threshold: 0.9, denoise: fixed([1], []), rest: 'zz', tokenText });
      assert.equal(r.status, 'low-confidence');
      assert.deepEqual(r.ids, []);
    });
  });
});

describe('sampleGrowing', () => {
  /** Records the canvas size of every pass. */
  function sized(target: number[], sizes: number[]): Denoise {
    const inner = fixed(target, []);
    return async (canvas, masked) => {
      sizes.push(canvas.length);
      return inner(canvas, masked);
    };
  }

  it('keeps the first canvas when the span ends inside it', async () => {
    const sizes: number[] = [];
    const r = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 16, threshold: 0.9, denoise: sized([1, 2], sizes) });
    assert.deepEqual(r.ids, [1, 2]);
    assert.deepEqual(sizes, [4], 'one pass: the span and its <eos>');
  });

  it('grows a canvas the span fills, keeping what was committed, and adds up the passes', async () => {
    const sizes: number[] = [];
    const target = [1, 2, 3, 0, 1, 2, 3, 0, 1, 2];
    const r = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 16, threshold: 0.9, denoise: sized(target, sizes) });
    assert.deepEqual(r.ids, target);
    assert.deepEqual(sizes, [4, 8, 16], 'one pass fills 4 slots, one fills 8, then one on 16 commits the rest and its <eos>');
    assert.equal(r.forwards, 3);
    assert.equal(r.status, 'done');
  });

  it('stops at the largest canvas with what fits, and does not grow past a line end', async () => {
    const long = Array.from({ length: 20 }, (_, i) => i % 4);
    const r = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 8, threshold: 0.9, denoise: fixed(long, []) });
    assert.deepEqual(r.ids, long.slice(0, 8));
    const sizes: number[] = [];
    const endsSpan = (id: number) => id === 3;
    const line = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 16, threshold: 0.9, endsSpan, denoise: sized([1, 2, 0, 3, 1, 1], sizes) });
    assert.deepEqual(line.ids, [1, 2, 0, 3], 'the line ends in the last slot of the first canvas');
    assert.deepEqual(sizes, [4], 'one pass on the first canvas: the words, then the line end with them');
  });

  it('grows after the typed tokens: the free slots double', async () => {
    const sizes: number[] = [];
    const target = [2, 1, 1, 1, 1, 1, 1];
    const r = await sampleGrowing({ ...base, canvasSize: 1 + 3, maxCanvas: 16, threshold: 0.9, fixed: [2], denoise: sized(target, sizes) });
    assert.deepEqual(r.ids, target);
    assert.deepEqual(sizes, [4, 7, 13], '1 typed + 3 free, 1 + 6, then 1 + 12: the span fills 7 exactly, so its <eos> needs a third round');
  });

  it("keeps each token's confidence from the round that committed it, so the gate sees the least of all rounds", async () => {
    const target = [1, 2, 3, 0, 1, 2, 3, 0, 1, 2];
    const conf = target.map((_, i) => (i === 1 ? 0.5 : 0.99));
    const r = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 16, threshold: 0.4, minConfidence: 0.3, denoise: fixed(target, conf) });
    assert.deepEqual(r.ids, target);
    assert.equal(r.confidences.length, target.length);
    assert.ok(Math.abs(r.confidences[1] - 0.5) < 1e-6, 'slot 1 was committed at 0.5 in the first round, given (1) after');
    assert.ok(Math.abs(r.minCommittedConfidence - 0.5) < 1e-6);
    const gated = await sampleGrowing({ ...base, canvasSize: 4, maxCanvas: 16, threshold: 0.4, minConfidence: 0.6, denoise: fixed(target, conf) });
    assert.equal(gated.status, 'low-confidence', 'under the gate in the first round: no growing past it');
  });
});
