"""Write the held-out puzzle sets as text for the server benchmark (npm run bench:puzzles).

  python -m training.hrm.heldout_text            # reads .carry/hrm/{sudoku,maze}_test.npz

The .npz files are the seed-2 held-out sets of README.md ("Data"); this only changes their format:
  bench/data/sudoku-heldout.txt  the hard subset (exact solver guesses >= 60), one puzzle per line,
                                 81 characters, '.' for a blank
  bench/data/maze-heldout.txt    the first 500 mazes, 30 lines each ('#' wall, ' ' open, S, G),
                                 separated by a blank line
  bench/data/maze-tuning.txt     the next 500 (same format): where the server's view rule is chosen
                                 (npm run bench:maze-views), so the benchmark's mazes stay unseen
"""
from __future__ import annotations

import argparse
import os

import numpy as np

MAZE_CHARS = {0: "#", 1: " ", 2: "S", 3: "G"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=".carry/hrm")
    ap.add_argument("--out", default="bench/data")
    ap.add_argument("--hard-min-guesses", type=int, default=60)
    ap.add_argument("--mazes", type=int, default=500)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    s = np.load(os.path.join(a.src, "sudoku_test.npz"))
    hard = s["puzzles"][s["guesses"] >= a.hard_min_guesses]
    with open(os.path.join(a.out, "sudoku-heldout.txt"), "w") as f:
        for p in hard:
            f.write("".join("." if v == 0 else str(v) for v in p) + "\n")

    m = np.load(os.path.join(a.src, "maze_test.npz"))
    for name, grids in (("maze-heldout.txt", m["grids"][: a.mazes]), ("maze-tuning.txt", m["grids"][a.mazes : 2 * a.mazes])):
        blocks = ["\n".join("".join(MAZE_CHARS[int(v)] for v in r) for r in g.reshape(30, 30)) for g in grids]
        with open(os.path.join(a.out, name), "w") as f:
            f.write("\n\n".join(blocks) + "\n")
        print(f"{len(blocks)} mazes written to {os.path.join(a.out, name)}")
    print(f"{len(hard)} hard Sudoku written to {a.out}")


if __name__ == "__main__":
    main()
