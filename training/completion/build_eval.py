#!/usr/bin/env python3
"""Build the held-out infill benchmark: bench/data/infill-heldout.jsonl.gz.

Deterministic (fixed seed, files visited in sorted id order) and tokenizer-free, so it runs anywhere with
Python 3 and the corpus. The server benchmark (npm run bench:completion) reuses exactly this file.

Cases come from the corpus's EVAL split only (whole held-out packages / stdlib modules, CORPUS.md).
With --split train the same recipe builds the tuning set bench/data/infill-tuning.jsonl.gz from training-split
files instead: settings such as the confidence gate (bench/completion-gate.ts) are chosen on it, never on the
held-out cases.
Per language (typescript, javascript, python): 200 single-line + 200 multi-line cases (multi-line = half
2-8 consecutive lines, half the indented body under a line that opens a block, cut at 8 lines).
Each case: {id, language, kind: single_line|multi_line, prefix, suffix, middle}.

Choices (why):
  * Line-aligned: the cursor sits at the START of a line (column 0) and the middle is whole lines including
    the final newline. The models are trained on line-aligned spans (data.py), and a line start is always a
    token boundary, so prefix / middle / suffix tokenize the same separately as in the whole file.
    (Mid-line cursors need token healing in the server: future work, README.md.)
  * The first middle line is not blank and the suffix does not start with a line break (a run of blank lines
    would be one token across the boundary).
  * Middles of 1..250 characters with at least 4 non-blank characters; single lines <= 120 characters.
  * prefix keeps at most the last 4000 characters and suffix the first 2000 (cut at a line boundary): more
    than the 384 / 128 tokens the models read, and it keeps the file small.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LANGS = ("typescript", "javascript", "python")
PER_KIND = 200
MAX_PREFIX_CHARS, MAX_SUFFIX_CHARS = 4000, 2000


def read_docs(corpus: Path, split: str, every: int = 1):
    for shard in sorted(corpus.glob(f"{split}-*.jsonl.gz"))[::every]:
        with gzip.open(shard, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def candidates(text: str, kind: str, rng: random.Random):
    """Yield (start_line, n_lines) candidates in random order for one file."""
    lines = text.splitlines(keepends=True)
    order = list(range(1, len(lines) - 1))
    rng.shuffle(order)
    for i in order:
        if not lines[i].strip():
            continue
        if kind == "single_line":
            yield lines, i, 1
        elif kind == "multi_line":
            yield lines, i, rng.randint(2, 8)
        else:  # block body: line i more indented than line i-1 (which opens the block)
            if not lines[i - 1].strip() or indent(lines[i]) <= indent(lines[i - 1]):
                continue
            base, n = indent(lines[i - 1]), 1
            while i + n < len(lines) and n < 8 and (not lines[i + n].strip() or indent(lines[i + n]) > base):
                n += 1
            if n >= 2:
                yield lines, i, n


def make_case(lines, i, n):
    if i + n >= len(lines):
        return None
    middle = "".join(lines[i:i + n])
    if not middle.endswith(("\n", "\r")) or not lines[i + n].strip() or lines[i + n][0] in "\r\n":
        return None  # suffix must start with a non-blank line (see docstring)
    if not lines[i + n - 1].strip():
        return None
    if len(middle) > 250 or sum(not c.isspace() for c in middle) < 4:
        return None
    if n == 1 and len(middle) > 120:
        return None
    prefix = "".join(lines[:i])
    suffix = "".join(lines[i + n:])
    if len(prefix) > MAX_PREFIX_CHARS:
        cut = prefix.find("\n", len(prefix) - MAX_PREFIX_CHARS)
        prefix = prefix[cut + 1:]
    if len(suffix) > MAX_SUFFIX_CHARS:
        cut = suffix.rfind("\n", 0, MAX_SUFFIX_CHARS)
        suffix = suffix[:cut + 1]
    return prefix, middle, suffix


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO / ".carry/corpus"))
    ap.add_argument("--out", default=str(REPO / "bench/data/infill-heldout.jsonl.gz"))
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--split", default="eval", choices=("eval", "train"))
    ap.add_argument("--every", type=int, default=1, help="read every Nth shard only (the training split is large)")
    ap.add_argument("--per-kind", type=int, default=PER_KIND, help="single-line cases per language (blocks: the same)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    docs = sorted((d for d in read_docs(Path(args.corpus), args.split, args.every) if d["lang"] in LANGS), key=lambda d: d["id"])
    if not docs:
        print(f"no {args.split} docs found in {args.corpus}", file=sys.stderr)
        return 1
    cases = []
    for lang in LANGS:
        pool = [d for d in docs if d["lang"] == lang]
        # Small files give no context; use files with at least 10 lines.
        pool = [d for d in pool if d["text"].count("\n") >= 10]
        for kind, sub, want in (("single_line", "single_line", args.per_kind), ("multi_line", "multi_line", args.per_kind // 2),
                                ("multi_line", "block", args.per_kind // 2)):
            got, used = 0, set()
            order = list(range(len(pool)))
            rng.shuffle(order)
            k = 0
            while got < want:
                # one case per file per sub-kind while files last, so no file dominates
                d = pool[order[k % len(order)]]
                k += 1
                if k > 50 * len(order):
                    break
                for lines, i, n in candidates(d["text"], sub, rng):
                    if (d["id"], i) in used:
                        continue
                    c = make_case(lines, i, n)
                    if c is None:
                        continue
                    used.add((d["id"], i))
                    prefix, middle, suffix = c
                    cases.append({"id": f"{lang}/{sub}/{got:03d}:{d['id']}:{i + 1}", "language": lang, "kind": kind,
                                  "prefix": prefix, "suffix": suffix, "middle": middle})
                    got += 1
                    break
            print(f"{lang} {sub}: {got}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases).encode("utf-8")
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(data)
    print(f"wrote {len(cases)} cases, {out.stat().st_size / 1e6:.2f} MB -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
