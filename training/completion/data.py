"""Data for the completion models: tokenized corpus, line-aligned infill spans, and the two sequence layouts.

Corpus: shards from training/data/build_corpus.py (`{split}-NNNNN.jsonl.gz`, one {id, pkg, lang, text} a
line). Tokenized once on the GPU box (Python `tokenizers`) into one uint16 array + line-start tables, cached
as .npz beside the run.

Spans (what the model learns to fill) are LINE-ALIGNED in tokens: they start at the first token of a line and
end at the first token of a later line, so the middle includes its final newline. Line starts are pretoken
boundaries for our tokenizer (a newline always ends a pretoken, see train_tokenizer.py SPLIT_PATTERN), so
tokenizing prefix / middle / suffix separately (what the server and eval.py do) gives the same ids as the
whole-file tokenization used here. Kinds: single line 50%, 2-8 lines 30%, an indented
block (the body under a line that opens one) 20%. A span is at most MAX_SPAN tokens.

Diffusion layout (one training sequence, tensor order):   [ prefix | suffix | canvas | pad ]
  positions: prefix 0..P-1, canvas P..P+C-1, suffix P+GAP.. ; GAP = 64 >= the largest canvas, so the
  suffix's position says nothing about the span length or the canvas size.
  attention: context (prefix+suffix) in CHUNK-token chunks, block-causal: a chunk sees earlier chunks'
  RETAINED tokens and all of itself; the canvas sees every retained context token and the whole canvas.
  Evicted tokens (augmentation for NAMM pruning) stay visible inside their own chunk only -- exactly what
  happens at inference, where a chunk is encoded and only then pruned.
  canvas: the span + <eos> padding to a canvas size C drawn uniformly from the buckets that FIT (C >= L+1),
  not the smallest one: the canvas size must not leak the length (padded to the smallest bucket, a 32-slot
  canvas meant "16-31 tokens" and the model always wrote >= 16).
AR layout: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <eos>, causal, next-token loss on all.
Both layouts are built from the same span stream (same seed -> same spans), so the two models see the same
data and the same number of examples.
"""
from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np

from model import PAD, EOS, MASK, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE

# Context read around the span, in tokens: 384 before + 128 after is the server's default 512-token window.
# A lease may train on longer contexts (the memory brain reads whole files and keeps a budget of them) by setting
# NANOMIND_MAX_PREFIX / NANOMIND_MAX_SUFFIX in the environment: every script of that lease (train, distill, eval,
# export, whose spec.json records the layout) then reads the same context.
MAX_PREFIX = int(os.environ.get("NANOMIND_MAX_PREFIX", 384))
MAX_SUFFIX = int(os.environ.get("NANOMIND_MAX_SUFFIX", 128))
MAX_SPAN = 63        # longest middle; +1 slot for at least one <eos>
BUCKETS = (8, 16, 32, 64)
GAP = 64             # suffix starts at P + GAP
CHUNK = 64           # context chunk size for block-causal encoding
SEQ_DIFF = MAX_PREFIX + MAX_SUFFIX + BUCKETS[-1]          # 576 at the default context
SEQ_AR = MAX_PREFIX + MAX_SUFFIX + MAX_SPAN + 1 + 3       # 579 -> padded to 580 below (default context)
SEQ_AR = SEQ_AR + (SEQ_AR % 2)
LANGS = ("typescript", "javascript", "python")
KIND_P = (0.5, 0.3, 0.2)   # single line, 2-8 lines, block
ROLE_PAD, ROLE_CTX, ROLE_CANVAS = 0, 1, 2


# ----------------------------------------------------------------------------------------------- corpus

def shards_of(corpus: Path, split: str) -> list[Path]:
    """A split's shards: {split}-NNNNN.jsonl.gz, or .jsonl.xz as training/data/transfer.sh carries them."""
    return sorted([*Path(corpus).glob(f"{split}-*.jsonl.gz"), *Path(corpus).glob(f"{split}-*.jsonl.xz")])


def open_shard(shard: Path):
    if shard.suffix == ".xz":
        import lzma
        return lzma.open(shard, "rt", encoding="utf-8")
    return gzip.open(shard, "rt", encoding="utf-8")


def read_docs(corpus: Path, split: str):
    for shard in shards_of(corpus, split):
        with open_shard(shard) as f:
            for line in f:
                yield json.loads(line)


def vocab_tables(tok) -> dict:
    """Per-token-id facts used to find line starts and indentation without re-reading the text."""
    V = tok.get_vocab_size()
    ends_nl = np.zeros(V, bool); ws_only = np.zeros(V, bool); blank = np.zeros(V, bool)
    lead = np.zeros(V, np.int16)
    for i in range(V):
        s = tok.decode([i], skip_special_tokens=False) if i >= 10 else ""
        ends_nl[i] = s.endswith("\n") or s.endswith("\r")
        blank[i] = ("\n" in s or "\r" in s) and s.strip() == ""   # a whitespace-only line
        ws_only[i] = len(s) > 0 and s.strip(" \t") == ""
        lead[i] = len(s) - len(s.lstrip(" \t"))
    return {"ends_nl": ends_nl, "ws_only": ws_only, "blank": blank, "lead": lead}


def _tokenize_shard(job) -> str:
    """One shard -> its cache file of ids uint16 [N], doc_len int64 [D], doc_lang int8 [D] (a worker of cache_shards).
    Encoded a few thousand documents at a time: an Encoding object holds far more than its ids (token strings,
    offsets, masks), so a whole 600M-token corpus at once would not fit in memory."""
    shard, tokenizer_path, out = job
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_path)
    ids, lens, langs, batch = [], [], [], []

    def flush():
        for e in tok.encode_batch([d["text"] for d in batch], add_special_tokens=False):
            ids.append(np.asarray(e.ids, np.uint16)); lens.append(len(e.ids))
        langs.extend(LANGS.index(d["lang"]) for d in batch)
        batch.clear()
    with open_shard(shard) as f:
        for line in f:
            d = json.loads(line)
            if d["lang"] in LANGS:
                batch.append(d)
                if len(batch) == 2000:
                    flush()
    flush()
    r = {"ids": np.concatenate(ids) if ids else np.zeros(0, np.uint16), "doc_len": np.array(lens, np.int64),
         "doc_lang": np.array(langs, np.int8)}
    tmp = out.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **r)
    tmp.rename(out)
    return str(out)


def cache_shards(shards: list[Path], tokenizer_path: str, shard_cache: Path, workers: int = 0) -> list[Path]:
    """Tokenize the shards not cached yet, in parallel processes; -> each shard's cache file (NAME-BYTES.npz)."""
    shard_cache.mkdir(parents=True, exist_ok=True)
    jobs = [(sh, tokenizer_path, shard_cache / f"{sh.name.split('.')[0]}-{sh.stat().st_size}.npz") for sh in shards]
    todo = [j for j in jobs if not j[2].exists()]
    if todo:
        os.environ["TOKENIZERS_PARALLELISM"] = "false"   # one thread per worker process; the processes are the parallelism
        with mp.get_context("fork").Pool(min(len(todo), workers or os.cpu_count() or 1)) as pool:
            list(pool.imap_unordered(_tokenize_shard, todo))
    return [j[2] for j in jobs]


def tokenize_split(corpus: Path, split: str, tokenizer_path: str, shard_cache: Path, workers: int = 0) -> dict:
    """-> ids uint16 [N], doc_start int64 [D+1], doc_lang int8 [D], and the line-start table.
    Shards are tokenized in parallel processes, each cached as shard_cache/NAME-BYTES.npz (cache_shards), so
    shards tokenized as they arrived on the GPU box (over several calls, `python3 data.py`) are not redone."""
    shards = shards_of(corpus, split)
    if not shards:
        raise SystemExit(f"no {split}-*.jsonl.gz / .jsonl.xz shards in {corpus}")
    parts = [np.load(p) for p in cache_shards(shards, tokenizer_path, shard_cache, workers)]
    ids = np.concatenate([p["ids"] for p in parts])
    lens = np.concatenate([p["doc_len"] for p in parts])
    doc_lang = np.concatenate([p["doc_lang"] for p in parts])
    doc_start = np.concatenate([[0], np.cumsum(lens)])
    from tokenizers import Tokenizer
    vt = vocab_tables(Tokenizer.from_file(tokenizer_path))
    # Line start: first token of a doc, or the token after one that ends with a line break.
    is_ls = np.zeros(len(ids), bool)
    is_ls[1:] = vt["ends_nl"][ids[:-1]]
    is_ls[doc_start[:-1][lens > 0]] = True
    ls = np.nonzero(is_ls)[0]
    ls_doc = (np.searchsorted(doc_start, ls, side="right") - 1).astype(np.int32)
    # Indentation: leading blanks of the first token, plus the next token's if the first is all blanks
    # ("    foo" pretokenizes as "   " + " foo").
    first = ids[ls]
    nxt = ids[np.minimum(ls + 1, len(ids) - 1)]
    indent = vt["lead"][first] + np.where(vt["ws_only"][first], vt["lead"][nxt], 0)
    blank = vt["blank"][first]
    return {"ids": ids, "doc_start": doc_start, "doc_lang": doc_lang, "ls": ls.astype(np.int64),
            "ls_doc": ls_doc, "ls_indent": indent.astype(np.int16), "ls_blank": blank}


def load_or_tokenize(corpus: Path, split: str, tokenizer_path: str, cache: Path) -> dict:
    """The tokenized split, from `cache` (an .npz) when it exists; per-shard caches sit beside it."""
    if cache.exists():
        z = np.load(cache)
        return {k: z[k] for k in z.files}
    d = tokenize_split(corpus, split, tokenizer_path, cache.parent / f"{split}-shards")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **d)
    return d


# ----------------------------------------------------------------------------------------------- spans

class SpanSampler:
    """Draws (doc, span start, span end, kind) from a tokenized split. kind: 0 single, 1 multi, 2 block."""

    def __init__(self, d: dict, seed: int):
        self.d = d
        self.rng = np.random.default_rng(seed)
        self.n_ls = len(d["ls"])

    def _line_end(self, li: int, doc: int) -> int:
        """Token index where line li ends (= start of the next line, or the doc end)."""
        if li + 1 < self.n_ls and self.d["ls_doc"][li + 1] == doc:
            return int(self.d["ls"][li + 1])
        return int(self.d["doc_start"][doc + 1])

    def draw(self):
        d, rng = self.d, self.rng
        kind = int(rng.choice(3, p=KIND_P))
        for attempt in range(1000):
            if attempt == 50 and kind == 2:
                kind = 1  # no block opener found nearby: take a multi-line span instead
            li = int(rng.integers(self.n_ls))
            if d["ls_blank"][li]:
                continue
            doc = int(d["ls_doc"][li])
            s = int(d["ls"][li])
            if kind == 0:
                nl = 1
            elif kind == 1:
                nl = int(rng.integers(2, 9))
            else:
                # Block: li is the first line of the body of an opener (previous line less indented).
                if li == 0 or d["ls_doc"][li - 1] != doc or d["ls_indent"][li] <= d["ls_indent"][li - 1]:
                    continue
                base = d["ls_indent"][li - 1]
                nl = 1
                while (li + nl < self.n_ls and d["ls_doc"][li + nl] == doc and nl < 32
                       and (d["ls_indent"][li + nl] > base or d["ls_blank"][li + nl])):
                    nl += 1
            # Take as many whole lines as fit into MAX_SPAN tokens (at least one).
            e, got = s, 0
            for k in range(nl):
                if li + k >= self.n_ls or d["ls_doc"][li + k] != doc:
                    break
                ee = self._line_end(li + k, doc)
                if ee - s > MAX_SPAN:
                    break
                e, got = ee, k + 1
            if got == 0 or e <= s or (kind == 1 and got < 2):
                continue
            return doc, s, e, kind
        raise RuntimeError("no span found in 1000 tries: is the split empty?")


def context_of(d: dict, doc: int, s: int, e: int):
    ds, de = int(d["doc_start"][doc]), int(d["doc_start"][doc + 1])
    prefix = d["ids"][max(ds, s - MAX_PREFIX):s].astype(np.int64)
    middle = d["ids"][s:e].astype(np.int64)
    suffix = d["ids"][e:min(de, e + MAX_SUFFIX)].astype(np.int64)
    return prefix, middle, suffix


# ----------------------------------------------------------------------------------------------- layouts

def diffusion_example(prefix, middle, suffix, rng, ctx_noise_p=0.5, evict_p=0.5, eps=0.02, ctx_weight=1.0,
                      canvas_size: int | None = None, typed: int = 0):
    """One diffusion training sequence (numpy arrays of length SEQ_DIFF). See module docstring.
    typed > 0: the span's first `typed` tokens are given, never masked, and the rest masked at the drawn rate: the
    canvas the server builds while the user types a line (the typed part as given tokens, the rest to write), which
    independent masking almost never draws (a run of given slots followed by masked ones only)."""
    P, S, L = len(prefix), len(suffix), len(middle)
    fits = [c for c in BUCKETS if c >= L + 1]
    C = canvas_size or int(fits[rng.integers(len(fits))])
    T = SEQ_DIFF
    ids = np.full(T, PAD, np.int64); tgt = np.full(T, PAD, np.int64)
    pos = np.zeros(T, np.int64); role = np.zeros(T, np.int8)
    chunk = np.full(T, 1 << 20, np.int32); kept = np.ones(T, bool); w = np.zeros(T, np.float32)
    # context: prefix then suffix
    n_pc = (P + CHUNK - 1) // CHUNK
    ids[:P] = prefix; pos[:P] = np.arange(P); chunk[:P] = np.arange(P) // CHUNK
    ids[P:P + S] = suffix; pos[P:P + S] = P + GAP + np.arange(S); chunk[P:P + S] = n_pc + np.arange(S) // CHUNK
    role[:P + S] = ROLE_CTX
    # canvas
    c0 = P + S
    canvas = np.concatenate([middle, np.full(C - L, EOS, np.int64)])
    ids[c0:c0 + C] = canvas; pos[c0:c0 + C] = P + np.arange(C); role[c0:c0 + C] = ROLE_CANVAS
    tgt[:c0 + C] = ids[:c0 + C]
    # mask the canvas at rate t (at least one slot), CE weighted 1/t (MDLM), normalised per slot
    t = eps + (1 - eps) * rng.random()
    m = rng.random(C) < t
    m[:typed] = False
    if not m.any():
        m[typed + rng.integers(C - typed)] = True
    ids[c0:c0 + C][m] = MASK
    w[c0:c0 + C][m] = 1.0 / (t * C)
    # plain MDLM on the context too, in some sequences (more supervision per sequence than the span's slots alone)
    if P + S > 0 and rng.random() < ctx_noise_p:
        tc = eps + (1 - eps) * rng.random()
        mc = rng.random(P + S) < tc
        ids[:P + S][mc] = MASK
        w[:P + S][mc] = ctx_weight / (tc * (P + S))
    # random eviction of context tokens (NAMM pruning augmentation)
    if P + S > 0 and rng.random() < evict_p:
        r = 0.5 * rng.random()
        kept[:P + S] = rng.random(P + S) >= r
    return {"ids": ids, "tgt": tgt, "pos": pos, "role": role, "chunk": chunk, "kept": kept, "w": w,
            "C": C, "L": L}


def diffusion_mask(role, chunk, kept):
    """torch tensors [B,T] -> attention mask [B,T,T] bool (True = query i may attend key j)."""
    ctx = role == ROLE_CTX
    can = role == ROLE_CANVAS
    ci, cj = chunk[:, :, None], chunk[:, None, :]
    kj = kept[:, None, :]
    ctx_ctx = ctx[:, :, None] & ctx[:, None, :] & (((cj < ci) & kj) | (cj == ci))
    can_any = can[:, :, None] & ((ctx[:, None, :] & kj) | can[:, None, :])
    eye = torch.eye(role.shape[1], dtype=torch.bool, device=role.device)[None]
    return ctx_ctx | can_any | eye   # eye: padding rows attend to themselves (no empty softmax rows)


def ar_example(prefix, middle, suffix):
    """PSM fill-in-the-middle sequence, length SEQ_AR, with next-token targets (PAD = no loss)."""
    seq = np.concatenate([[FIM_PREFIX], prefix, [FIM_SUFFIX], suffix, [FIM_MIDDLE], middle, [EOS]])
    T = SEQ_AR
    ids = np.full(T, PAD, np.int64); tgt = np.full(T, PAD, np.int64)
    ids[:len(seq)] = seq
    tgt[:len(seq) - 1] = seq[1:]
    return {"ids": ids, "tgt": tgt, "pos": np.arange(T, dtype=np.int64)}


# torch is imported lazily so build_eval-style tools can use the numpy parts without it.
try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


class Batches(torch.utils.data.IterableDataset if torch is not None else object):
    """Endless batches for one or more modes. Worker k uses seed (seed, k); the span stream depends only on
    the seed and the worker, never on the mode, so AR and diffusion trained with the same seed -- or together
    in one process (train.py --modes diffusion,ar) -- see exactly the same spans. Keys are prefixed by mode."""

    def __init__(self, data: dict, modes, batch: int, seed: int, typed_p: float = 0.0):
        self.data, self.modes, self.batch, self.seed = data, list(modes), batch, seed
        # typed_p: the share of diffusion examples given a typed start (diffusion_example's `typed`): a random
        # number of their first line's tokens, at least one and at least one short of the line.
        self.typed_p = typed_p

    def _first_line(self, s: int, e: int) -> int:
        """Tokens in the first line of the span [s, e) (line starts are sorted token indices)."""
        ls = self.data["ls"]
        j = int(np.searchsorted(ls, s, side="right"))
        return min(int(ls[j]) if j < len(ls) else e, e) - s

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        spans = SpanSampler(self.data, seed=self.seed * 1000 + wid)
        noise = np.random.default_rng(self.seed * 1000 + wid + 500)
        while True:
            exs = {m: [] for m in self.modes}
            for _ in range(self.batch):
                doc, s, e, kind = spans.draw()
                p, mid, sfx = context_of(self.data, doc, s, e)
                typed = 0
                if "diffusion" in self.modes and self.typed_p > 0 and noise.random() < self.typed_p:
                    n1 = self._first_line(s, e)
                    typed = int(noise.integers(1, n1)) if n1 >= 2 else 0
                for m in self.modes:
                    exs[m].append(diffusion_example(p, mid, sfx, noise, typed=typed) if m == "diffusion"
                                  else ar_example(p, mid, sfx))
            yield {m: {k: torch.from_numpy(np.stack([x[k] for x in xs])) for k in xs[0] if k not in ("C", "L")}
                   for m, xs in exs.items()}


if __name__ == "__main__":
    # python3 training/completion/data.py CACHE_DIR TOKENIZER SHARD...: tokenize these shards into CACHE_DIR/{split}-shards
    # (what load_or_tokenize reads), e.g. as each part of the corpus lands on the GPU box.
    import sys
    cache_dir, tokenizer_path, shard_paths = Path(sys.argv[1]), sys.argv[2], [Path(p) for p in sys.argv[3:]]
    for split in ("train", "eval"):
        mine = [p for p in shard_paths if p.name.startswith(split + "-")]
        if mine:
            cache_shards(mine, tokenizer_path, cache_dir / f"{split}-shards")
            print(f"cached {len(mine)} {split} shards in {cache_dir / (split + '-shards')}", flush=True)
