"""Write a Sudoku tuning set (training generator, seed 3) for choosing the server's loop rules.

  python -m training.hrm.tuning_text --n 300     # -> bench/data/sudoku-tuning.txt

Settings of the ACT loop (e.g. when a stalled answer stops it: npm run bench:act-stall) are chosen on
this set and on bench/data/maze-tuning.txt, never on the sets npm run bench:puzzles reports.
"""
from __future__ import annotations

import argparse
import random

from .data import sudoku_generate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default="bench/data/sudoku-tuning.txt")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "w") as f:
        for _ in range(a.n):
            puzzle, _, _ = sudoku_generate(rng)
            f.write("".join("." if v == 0 else str(v) for v in puzzle) + "\n")
    print(f"{a.n} Sudoku written to {a.out}")


if __name__ == "__main__":
    main()
