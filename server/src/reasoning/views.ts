// Test-time views of a square grid: the 8 rotations and reflections. The maze HRM is run on several
// views of the same maze and one view's answer is kept (solve.ts, `betterView`): a well-formed S-to-G
// chain of fewest steps, the halt head breaking ties. Every candidate is the network's own answer and
// the choice reads only their shapes: no search of the maze, no exact solver. Measured in
// models/MODEL_CARD.md ("Reasoning") and by npm run bench:maze-views / bench:puzzles.

/** perm[i] = where cell i of the original grid lands in the view (row-major, side x side). */
export type ViewPermutation = Int32Array;

export function squareViews(side: number): ViewPermutation[] {
  const last = side - 1;
  const maps: ((r: number, c: number) => [number, number])[] = [
    (r, c) => [r, c],
    (r, c) => [c, last - r],
    (r, c) => [last - r, last - c],
    (r, c) => [last - c, r],
    (r, c) => [r, last - c],
    (r, c) => [c, r],
    (r, c) => [last - r, c],
    (r, c) => [last - c, last - r],
  ];
  return maps.map((map) => {
    const perm = new Int32Array(side * side);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const [r2, c2] = map(r, c);
        perm[r * side + c] = r2 * side + c2;
      }
    }
    return perm;
  });
}

/** The view of per-cell values: out[perm[i]] = values[i]. */
export function toView<T extends BigInt64Array | Int32Array>(values: T, perm: ViewPermutation): T {
  const out = new (values.constructor as { new (n: number): T })(values.length);
  for (let i = 0; i < perm.length; i++) out[perm[i]] = values[i];
  return out;
}

/** Back from the view: out[i] = viewValues[perm[i]]. */
export function fromView(viewValues: Int32Array, perm: ViewPermutation): Int32Array {
  const out = new Int32Array(viewValues.length);
  for (let i = 0; i < perm.length; i++) out[i] = viewValues[perm[i]];
  return out;
}
