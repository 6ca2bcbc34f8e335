#!/usr/bin/env python3
"""Train the byte-level BPE tokenizer for the completion models and choose its vocabulary size.

Runs where HuggingFace `tokenizers` is installed (the GPU box). Reads the corpus shards written by
training/data/build_corpus.py (default .carry/corpus/): the TRAIN split trains the tokenizer, the
held-out EVAL split measures characters per token per language.

Design choices (why):
  * Byte-level BPE with no normalizer and no prefix space: every byte sequence (tabs, CRLF, emoji,
    invalid-looking unicode) encodes, and decode(encode(x)) == x exactly.
  * A code-aware split regex instead of GPT-2's: identifiers keep their underscores (snake_case is one
    pre-token), a leading space / dot / tab attaches to the following word, punctuation runs swallow
    the line break that follows them, digits are split in groups of at most 3. Whitespace is written
    with explicit classes (no \\s) so Rust's oniguruma and JavaScript's RegExp agree on what it is.
  * Control tokens (<pad>, <eos>, <mask>, FIM, reserved) take ids 0.. in the model vocabulary but are NOT
    registered as "added tokens": otherwise the literal text "<mask>" inside user code would be turned
    into the control token by Python and JS alike. Here, text always encodes as text; the control ids
    exist only when the model code inserts them by id.
  * One BPE run at the largest size; smaller sizes are its first merges (BPE training is greedy, so a
    truncated merge list is exactly what a smaller run would have learned). This saves device time.

Usage:
  python3 training/tokenizer/train_tokenizer.py --corpus .carry/corpus --out OUTDIR \
      [--sizes 8192,12288,16384] [--pick auto|SIZE] [--fixture OUTDIR/tokenizer-parity.json]
Writes OUTDIR/tokenizer-<size>.json for every size, OUTDIR/tokenizer.json (the chosen one),
OUTDIR/tokenizer-report.json (chars/token table), and the parity fixture if asked.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIAL_TOKENS = ["<pad>", "<eos>", "<mask>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
                  "<reserved_0>", "<reserved_1>", "<reserved_2>", "<reserved_3>"]

_W = r" \t\r\n\f\v"  # whitespace, spelled out (see docstring)
SPLIT_PATTERN = (
    r"[^\r\n\p{L}\p{N}]?[\p{L}_][\p{L}\p{N}_]*"      # word, with one optional leading non-alnum char
    r"|\p{N}{1,3}"                                    # numbers in groups of <= 3 digits
    rf"| ?[^{_W}\p{{L}}\p{{N}}_]+[\r\n]*"              # punctuation run (+ the line break after it)
    r"|[ \t\f\v]*[\r\n]+"                             # line breaks (with trailing blanks before them)
    rf"|[{_W}]+(?![^{_W}])"                            # whitespace not followed by a word: all of it
    rf"|[{_W}]+"                                       # otherwise leave the last blank for the word
)


def read_docs(corpus: Path, split: str):
    for shard in sorted(corpus.glob(f"{split}-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def new_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())  # no unk token: byte-level covers every byte
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    return tok


def truncate(full: dict, size: int) -> dict:
    """tokenizer.json of the first `size` ids of a trained BPE (specials, bytes, then merges in order)."""
    t = json.loads(json.dumps(full))
    vocab = {k: v for k, v in t["model"]["vocab"].items() if v < size}
    merges = []
    for m in t["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if (a + b) in vocab and vocab[a + b] < size:
            merges.append(m)
    assert len(vocab) == size, (len(vocab), size)
    t["model"]["vocab"] = vocab
    t["model"]["merges"] = merges
    return t


def strip_added_tokens(t: dict) -> dict:
    t["added_tokens"] = []  # see docstring: control tokens live in the vocab only
    return t


def measure(tok: Tokenizer, eval_docs: list[dict]) -> dict:
    per = {}
    for lang in sorted({d["lang"] for d in eval_docs}):
        texts = [d["text"] for d in eval_docs if d["lang"] == lang]
        enc = tok.encode_batch(texts, add_special_tokens=False)
        chars = sum(len(x) for x in texts)
        toks = sum(len(e.ids) for e in enc)
        per[lang] = {"chars": chars, "tokens": toks, "chars_per_token": chars / max(1, toks)}
    chars = sum(v["chars"] for v in per.values())
    toks = sum(v["tokens"] for v in per.values())
    per["all"] = {"chars": chars, "tokens": toks, "chars_per_token": chars / max(1, toks)}
    return per


def fixture_texts(eval_docs: list[dict], n_snippets: int = 22) -> list[dict]:
    """Held-out snippets plus hand-made edge cases (whitespace, line endings, unicode, literal specials)."""
    rng = random.Random(7)
    cases = [
        ("empty", ""),
        ("tabs", "def f(x):\n\tif x:\n\t\treturn x\t# tab comment\n\treturn None\n"),
        ("crlf", "function add(a, b) {\r\n    return a + b;\r\n}\r\n\r\nexport default add;\r\n"),
        ("mixed_ws", "  \t \n\n\r\n   x = 1  \n\t\t\n    \n"),
        ("unicode", "const greeting = \"Grüße, 世界! Привет — naïve café\";\nlet π = 3.14159; // ≈ π\n"),
        ("emoji", "print('🎉 done 👍🏽 🇩🇪 👨‍👩‍👧')  # emoji with ZWJ and skin tone\n"),
        ("literal_specials", "const s = '<mask> <eos> <pad> <fim_prefix>';\n// <reserved_0>\n"),
        ("long_line", "x = [" + ", ".join(str(i * 7919 % 100003) for i in range(700)) + "]\n"),
        ("numbers_idents", "my_var_name2 = 1234567890 + 0x1F_FF + 3.5e-10 + __dunder__\n"),
        ("nbsp_nel", "a\u00a0= 1\u2003;\u0085b = 2\u200b\n"),
    ]
    out = [{"name": name, "text": text} for name, text in cases]
    langs = sorted({d["lang"] for d in eval_docs})
    for i in range(n_snippets):
        lang = langs[i % len(langs)]
        pool = [d for d in eval_docs if d["lang"] == lang]
        d = pool[rng.randrange(len(pool))]
        text = d["text"]
        start = rng.randrange(max(1, len(text) - 1500))
        start = text.rfind("\n", 0, start) + 1  # start on a line boundary, like an editor buffer would
        out.append({"name": f"heldout_{lang}_{i}", "source": d["id"], "text": text[start:start + 1200]})
    # One whole held-out file per language (4-12 KB), so the TS test also checks complete files.
    for lang in langs:
        pool = sorted((d for d in eval_docs if d["lang"] == lang and 4000 <= len(d["text"]) <= 12000),
                      key=lambda d: d["id"])
        d = pool[rng.randrange(len(pool))]
        out.append({"name": f"heldout_file_{lang}", "source": d["id"], "text": d["text"]})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=".carry/corpus")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="8192,12288,16384")
    ap.add_argument("--pick", default="auto",
                    help="'auto' = smallest size whose held-out chars/token is within --tolerance of the largest")
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--train-mb", type=float, default=0, help="cap on training text (0 = all of the train split)")
    ap.add_argument("--fixture", default="")
    args = ap.parse_args()
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    corpus = Path(args.corpus)

    train_texts, nbytes = [], 0
    for d in read_docs(corpus, "train"):
        train_texts.append(d["text"])
        nbytes += len(d["text"])
        if args.train_mb and nbytes > args.train_mb * 1e6:
            break
    eval_docs = list(read_docs(corpus, "eval"))
    print(f"[{time.time() - t0:.0f}s] train {len(train_texts)} docs {nbytes / 1e6:.1f} M chars; "
          f"eval {len(eval_docs)} docs", flush=True)

    tok = new_tokenizer()
    trainer = trainers.BpeTrainer(vocab_size=sizes[-1], min_frequency=2, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(train_texts, trainer=trainer, length=len(train_texts))
    print(f"[{time.time() - t0:.0f}s] trained {tok.get_vocab_size()} tokens", flush=True)
    full = json.loads(tok.to_str())
    for i, s in enumerate(SPECIAL_TOKENS):
        assert full["model"]["vocab"][s] == i, s

    report = {"split_pattern": SPLIT_PATTERN, "special_tokens": {s: i for i, s in enumerate(SPECIAL_TOKENS)},
              "train_chars": nbytes, "sizes": {}}
    texts_by_size = {}
    for size in sizes:
        t = strip_added_tokens(truncate(full, size))
        s = json.dumps(t, ensure_ascii=False)
        texts_by_size[size] = s
        tk = Tokenizer.from_str(s)
        m = measure(tk, eval_docs)
        # Byte-exact round trip on every held-out file (the property the editor relies on).
        bad = [d["id"] for d in eval_docs
               if tk.decode(tk.encode(d["text"], add_special_tokens=False).ids, skip_special_tokens=False) != d["text"]]
        report["sizes"][size] = {"held_out": m, "roundtrip_failures": len(bad), "roundtrip_examples": bad[:5]}
        (out / f"tokenizer-{size}.json").write_text(s)
        print(f"[{time.time() - t0:.0f}s] {size}: " + ", ".join(
            f"{k} {v['chars_per_token']:.3f}" for k, v in m.items()) + f"; roundtrip failures {len(bad)}", flush=True)

    best = report["sizes"][sizes[-1]]["held_out"]["all"]["chars_per_token"]
    if args.pick == "auto":
        pick = next(s for s in sizes
                    if report["sizes"][s]["held_out"]["all"]["chars_per_token"] >= (1 - args.tolerance) * best)
    else:
        pick = int(args.pick)
    report["picked"] = pick
    report["pick_rule"] = (f"smallest size with held-out chars/token >= {1 - args.tolerance:.2f} x that of "
                           f"{sizes[-1]}" if args.pick == "auto" else "given on the command line")
    (out / "tokenizer.json").write_text(texts_by_size[pick])
    (out / "tokenizer-report.json").write_text(json.dumps(report, indent=1))
    print(f"picked {pick}", flush=True)

    if args.fixture:
        tk = Tokenizer.from_str(texts_by_size[pick])
        cases = fixture_texts(eval_docs)
        for c in cases:
            c["ids"] = tk.encode(c["text"], add_special_tokens=False).ids
            assert tk.decode(c["ids"], skip_special_tokens=False) == c["text"], c["name"]
        fx = {"tokenizer": "models/tokenizer.json", "vocab_size": pick,
              "special_tokens": report["special_tokens"], "cases": cases}
        # One case per line: small, and diffs stay readable.
        head = json.dumps({k: v for k, v in fx.items() if k != "cases"}, ensure_ascii=False)[:-1]
        body = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
        Path(args.fixture).write_text(f'{head}, "cases": [\n{body}\n]}}\n')
        json.loads(Path(args.fixture).read_text())  # the hand-made layout must still be JSON
        print(f"fixture: {len(cases)} cases", flush=True)
    print(f"[{time.time() - t0:.0f}s] done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
