// Which scored tokens stay in the memory (training/namm/namm.py `protected` and `keep` are the reference):
// the nearest lines around the cursor always; the rest when its score is >= 0, and at most `cap` tokens in all.

/** Line ends before the cursor whose lines are kept (the line of the third one back is not). */
export const protectBefore = 3;
/** Line ends after the cursor up to which every token is kept. */
export const protectAfter = 2;

/**
 * Tokens (in position order) on the nearest lines around `cursor`: back to the `protectBefore`-th line end before
 * it (that line end excluded) and up to the `protectAfter`-th line end after it (included).
 */
export function protectedTokens(positions: ArrayLike<number>, endsLine: ArrayLike<boolean>, cursor: number): Uint8Array {
  const n = positions.length;
  const out = new Uint8Array(n);
  let seen = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (positions[i] >= cursor) continue;
    if (endsLine[i] && ++seen === protectBefore) break;
    out[i] = 1;
  }
  seen = 0;
  for (let i = 0; i < n; i++) {
    if (positions[i] < cursor) continue;
    out[i] = 1;
    if (endsLine[i] && ++seen === protectAfter) break;
  }
  return out;
}

/** Protected tokens, then those scoring >= 0, at most `cap` in all: the highest scores (ties to the later token). */
export function keepTokens(scores: ArrayLike<number>, protect: Uint8Array, cap: number): Uint8Array {
  const n = scores.length;
  const kept = new Uint8Array(n);
  let nProtected = 0;
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    if (protect[i]) {
      kept[i] = 1;
      nProtected++;
    } else if (scores[i] >= 0) free.push(i);
  }
  const room = Math.max(0, cap - nProtected);
  if (free.length > room) free.sort((a, b) => scores[b] - scores[a] || b - a);
  for (const i of free.slice(0, room)) kept[i] = 1;
  return kept;
}
