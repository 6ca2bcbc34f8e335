#!/usr/bin/env python3
"""Held-out infill evaluation: diffusion (threshold), diffusion (one token per step) and the AR twin,
on the same cases (bench/data/infill-heldout.jsonl.gz, built by build_eval.py).

Samplers (the server ports the diffusion one to TypeScript: server/src/completion/sampler.ts):
  diffusion: canvas of C <mask> slots (C = 32 for single_line, 64 for multi_line). Each forward pass:
    consider the masked slots BEFORE the first committed <eos> (all slots if none); of those, only the ones
    before the first slot whose best token is <eos> are eligible, plus that <eos> slot once it is the
    leftmost masked one or every slot before it commits in the same pass (eos_rule "end", see
    diffusion_generate); commit every eligible slot whose max probability >= threshold, and always at least
    the single most confident eligible one; a committed <eos>
    ends the span (later slots are dropped). Stop when no masked slot remains before the first <eos>.
    one-token-per-step mode = commit only the most confident slot each pass.
    Control tokens other than <eos> are never proposed (their logits are -inf; the exported graph does the same).
  AR: greedy; single_line stops after the first token containing a line break, multi_line at <eos>; at most
    64 tokens. One forward per generated token (with a KV cache, as the server runs it).
  Both: single_line outputs are cut after their first line break (the server shows one line).
Metrics: exact match after trimming trailing whitespace of both; edit similarity = 1 - Levenshtein /
max(len) on the same trimmed strings; tokens per forward = generated tokens (incl. the closing <eos>) /
forward passes. Length check: generated vs true middle length in tokens (diffusion).

Runs on the GPU box (needs torch + tokenizers):
  python3 training/completion/eval.py --ckpt RUN/diffusion.pt --ar RUN/ar.pt --out RUN/eval.json
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import Config, Transformer, PAD, EOS, MASK, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE  # noqa: E402
from data import (MAX_PREFIX, MAX_SUFFIX, GAP, CHUNK, ROLE_CTX, ROLE_CANVAS, diffusion_mask)  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
N_CONTROL = 10  # ids 0..9 are control tokens (train_tokenizer.py SPECIAL_TOKENS)


def load_cases(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def tokenize_cases(cases, tok):
    enc = lambda xs: [e.ids for e in tok.encode_batch(xs, add_special_tokens=False)]
    P, S, M = enc([c["prefix"] for c in cases]), enc([c["suffix"] for c in cases]), enc([c["middle"] for c in cases])
    return [{"prefix": p[-MAX_PREFIX:] if len(p) > MAX_PREFIX else p, "suffix": s[:MAX_SUFFIX], "middle": m}
            for p, s, m in zip(P, S, M)]


def banned_mask(V, device, allow_eos=True):
    b = torch.zeros(V, dtype=torch.bool, device=device)
    b[:N_CONTROL] = True
    if allow_eos:
        b[EOS] = False
    return b


@torch.no_grad()
def diffusion_generate(model, items, C, threshold=0.9, one_per_step=False, batch=128, eos_rule="end"):
    """items: [{prefix, suffix}] token lists -> (outputs [list of ids], forwards [int], committed [int],
    confidences [list of floats: the probability each output token had when it was committed]).
    The context is run once per batch (it never attends to the canvas, data.diffusion_mask), then each pass
    runs only the canvas against the cached context K/V (Transformer.hidden_cached): the same numbers as the
    joint forward of the whole sequence, at a fraction of the cost."""
    dev = next(model.parameters()).device
    outs, fwds, comm, confs = [], [], [], []
    ban = banned_mask(model.cfg.vocab_size, dev)
    amp = lambda: torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else contextlib.nullcontext()
    for b0 in range(0, len(items), batch):
        chunk_items = items[b0:b0 + batch]
        B = len(chunk_items)
        T = max(1, max(len(it["prefix"]) + len(it["suffix"]) for it in chunk_items))
        ids = torch.full((B, T), PAD, dtype=torch.long); pos = torch.zeros((B, T), dtype=torch.long)
        role = torch.zeros((B, T), dtype=torch.int8); chunk = torch.full((B, T), 1 << 20, dtype=torch.int32)
        cpos = torch.zeros((B, C), dtype=torch.long)
        for r, it in enumerate(chunk_items):
            p, s = it["prefix"], it["suffix"]
            P, S = len(p), len(s)
            n_pc = (P + CHUNK - 1) // CHUNK
            if P:
                ids[r, :P] = torch.tensor(p, dtype=torch.long); pos[r, :P] = torch.arange(P); chunk[r, :P] = torch.arange(P) // CHUNK
            if S:
                ids[r, P:P + S] = torch.tensor(s, dtype=torch.long); pos[r, P:P + S] = P + GAP + torch.arange(S)
                chunk[r, P:P + S] = n_pc + torch.arange(S) // CHUNK
            role[r, :P + S] = ROLE_CTX
            cpos[r] = P + torch.arange(C)
        ids, pos, role, chunk, cpos = ids.to(dev), pos.to(dev), role.to(dev), chunk.to(dev), cpos.to(dev)
        with amp():
            _, memory = model.hidden_cached(ids, pos, diffusion_mask(role, chunk, torch.ones_like(role, dtype=torch.bool)))
        # The canvas sees every context token (not padding) and the whole canvas.
        cmask = torch.cat([(role == ROLE_CTX)[:, None, :].expand(B, C, T), torch.ones(B, C, C, dtype=torch.bool, device=dev)], 2)
        canvas = torch.full((B, C), MASK, dtype=torch.long, device=dev)
        conf = torch.zeros((B, C), device=dev)
        slot = torch.arange(C, device=dev)[None]
        forwards = torch.zeros(B, dtype=torch.long, device=dev)
        committed = torch.zeros(B, dtype=torch.long, device=dev)
        for _ in range(C):
            is_eos = canvas == EOS
            first_eos = torch.where(is_eos.any(1), is_eos.float().argmax(1), torch.full((B,), C, device=dev))
            open_ = (canvas == MASK) & (slot < first_eos[:, None])               # masked, before the first <eos>
            active = open_.any(1)
            if not active.any():
                break
            with amp():
                h, _ = model.hidden_cached(canvas, cpos, cmask, memory)
            logits = model.logits(h.float())                                     # [B,C,V]
            logits[..., ban] = float("-inf")
            prob, tok = logits.softmax(-1).max(-1)                               # [B,C]
            # <eos> rule. "end" (default): the span currently ends at the first masked slot whose best token
            # is <eos>; only slots before it are eligible, and that <eos> itself only once it is the leftmost
            # masked slot. "anywhere" (plain rule): the far, easy <eos> slots commit first and each committed
            # <eos> makes its left neighbour's <eos> likelier, so the span end creeps left (run 1: 2.8 tokens
            # generated vs 12.2 true on single lines). "leftmost": <eos> only at the leftmost masked slot, but
            # content may commit beyond the model's own end (run 1: 20.5 tokens vs 12.2).
            leftmost = open_ & (open_.long().cumsum(1) == 1)
            if eos_rule == "anywhere":
                eligible = open_
            elif eos_rule == "leftmost":
                eligible = open_ & ((tok != EOS) | leftmost)
            else:
                eos_arg = open_ & (tok == EOS)
                end = torch.where(eos_arg.any(1), eos_arg.float().argmax(1), torch.full((B,), C, device=dev))[:, None]
                eligible = open_ & ((slot < end) | (leftmost & (slot == end)))
            p_all = prob
            prob = torch.where(eligible, prob, torch.full_like(prob, -1.0))
            best = prob.argmax(1, keepdim=True)
            take = torch.zeros_like(open_).scatter_(1, best, True) & eligible
            if not one_per_step:
                take |= eligible & (prob >= threshold)
                if eos_rule == "end":
                    # the end commits in the same pass as the last slots before it if they and it clear the threshold
                    at_end = open_ & (slot == end) & (tok == EOS) & (p_all >= threshold)
                    before_done = ~(open_ & (slot < end) & ~(take & (p_all >= threshold))).any(1, keepdim=True)
                    take |= at_end & before_done
            canvas = torch.where(take, tok, canvas)
            conf = torch.where(take, prob, conf)
            forwards += active.long()
            committed += take.sum(1)
        rows, cs = canvas.tolist(), conf.tolist()
        for r in range(B):
            row = rows[r]
            end = row.index(EOS) if EOS in row else C
            outs.append(row[:end]); confs.append(cs[r][:end])
        fwds += forwards.tolist(); comm += committed.tolist()
    return outs, fwds, comm, confs


@torch.no_grad()
def ar_generate(model, items, kinds, newline_ids, max_new=64, batch=128):
    """Greedy PSM infill. Left-padded batch, full recompute each step (simple; the GPU does not mind).
    Returns (outputs, forwards) where forwards = tokens generated (what a KV-cached decoder runs)."""
    dev = next(model.parameters()).device
    ban = banned_mask(model.cfg.vocab_size, dev)
    nl = torch.zeros(model.cfg.vocab_size, dtype=torch.bool, device=dev)
    nl[torch.tensor(sorted(newline_ids), device=dev)] = True
    outs, fwds = [], []
    for b0 in range(0, len(items), batch):
        its, ks = items[b0:b0 + batch], kinds[b0:b0 + batch]
        B = len(its)
        seqs = [[FIM_PREFIX] + it["prefix"] + [FIM_SUFFIX] + it["suffix"] + [FIM_MIDDLE] for it in its]
        L0 = max(len(s) for s in seqs)
        T = L0 + max_new
        ids = torch.full((B, T), PAD, dtype=torch.long)
        valid = torch.zeros((B, T), dtype=torch.bool)
        for r, s in enumerate(seqs):  # left pad so every row's next slot is column L0
            ids[r, L0 - len(s):L0] = torch.tensor(s); valid[r, L0 - len(s):L0] = True
        ids, valid = ids.to(dev), valid.to(dev)
        single = torch.tensor([k == "single_line" for k in ks], device=dev)
        done = torch.zeros(B, dtype=torch.bool, device=dev)
        gen = [[] for _ in range(B)]
        n_fwd = torch.zeros(B, dtype=torch.long, device=dev)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=dev))
        for step in range(max_new):
            cur = L0 + step
            v = valid[:, :cur]
            pos = (v.long().cumsum(1) - 1).clamp(min=0)
            mask = causal[None, :cur, :cur] & v[:, None, :] | torch.eye(cur, dtype=torch.bool, device=dev)[None]
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                h = model.hidden(ids[:, :cur], pos, mask)
            logits = model.logits(h[:, -1].float())
            logits[:, ban] = float("-inf")
            nxt = logits.argmax(-1)
            n_fwd += (~done).long()
            ids[:, cur] = nxt; valid[:, cur] = True
            for r in range(B):
                if not done[r]:
                    gen[r].append(int(nxt[r]))
            stop = (nxt == EOS) | (single & nl[nxt])
            done |= stop
            if done.all():
                break
        for r in range(B):
            g = gen[r]
            outs.append(g[:-1] if g and g[-1] == EOS else g)
        fwds += n_fwd.tolist()
    return outs, fwds


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


try:  # optional fast path, same numbers
    from rapidfuzz.distance import Levenshtein as _RF
    levenshtein = _RF.distance  # noqa: F811
except Exception:
    pass


def score(pred: str, truth: str, kind: str):
    if kind == "single_line":
        k = pred.find("\n")
        pred = pred if k < 0 else pred[:k + 1]
    a, b = pred.rstrip(), truth.rstrip()
    em = float(a == b)
    es = 1.0 - levenshtein(a, b) / max(1, len(a), len(b))
    return em, es, pred


def newline_token_ids(tok):
    return {i for i in range(N_CONTROL, tok.get_vocab_size()) if "\n" in tok.decode([i]) or "\r" in tok.decode([i])}


def load_model(path, device):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = Transformer(Config(**ck["config"]))
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    return model.to(device).eval(), ck


def evaluate(cases, toks, tok, diff_model=None, ar_model=None, threshold=0.9, batch=128, log=print, one_per_step=True,
             eos_rule="end"):
    """Run every system on the cases; return (per-case rows, summary table)."""
    kinds = [c["kind"] for c in cases]
    rows = [{"id": c["id"], "language": c["language"], "kind": c["kind"], "true_len": len(t["middle"])}
            for c, t in zip(cases, toks)]
    systems = {}
    if diff_model is not None:
        for name, one in (("diffusion", False), ("diffusion_one_token_per_step", True))[:2 if one_per_step else 1]:
            t0 = time.time()
            for kind, C in (("single_line", 32), ("multi_line", 64)):
                idx = [i for i, k in enumerate(kinds) if k == kind]
                outs, f, cm, _ = diffusion_generate(diff_model, [toks[i] for i in idx], C, threshold, one, batch, eos_rule)
                for i, o, ff, cc in zip(idx, outs, f, cm):
                    rows[i][name] = {"ids": o, "forwards": ff, "tokens": min(cc, len(o) + 1)}
            systems[name] = time.time() - t0
            log(f"{name}: {systems[name]:.1f}s")
    if ar_model is not None:
        t0 = time.time()
        outs, f = ar_generate(ar_model, toks, kinds, newline_token_ids(tok), batch=batch)
        for i, (o, ff) in enumerate(zip(outs, f)):
            rows[i]["autoregressive"] = {"ids": o, "forwards": ff, "tokens": ff}
        systems["autoregressive"] = time.time() - t0
        log(f"autoregressive: {systems['autoregressive']:.1f}s")
    for c, r in zip(cases, rows):
        for name in systems:
            g = r[name]
            text = tok.decode(g["ids"], skip_special_tokens=False)
            g["em"], g["es"], g["text"] = score(text, c["middle"], c["kind"])
            g["len"] = len(g["ids"])
    return rows, summarize(rows, list(systems))


def summarize(rows, systems):
    table = {}
    for name in systems:
        cells = defaultdict(list)
        for r in rows:
            for key in ((r["language"], r["kind"]), (r["language"], "all"), ("all", r["kind"]), ("all", "all")):
                cells[key].append(r[name])
        table[name] = {f"{l}/{k}": {"n": len(v), "exact_match": float(np.mean([g["em"] for g in v])),
                                    "edit_similarity": float(np.mean([g["es"] for g in v])),
                                    "forwards": float(np.mean([g["forwards"] for g in v])),
                                    "tokens_per_forward": float(sum(g["tokens"] for g in v) / max(1, sum(g["forwards"] for g in v)))}
                       for (l, k), v in sorted(cells.items())}
    # length check (a leaked canvas size shows here): generated vs true middle length in tokens
    lengths = {}
    for name in systems:
        for kind in ("single_line", "multi_line"):
            rr = [r for r in rows if r["kind"] == kind]
            if not rr:
                continue
            d = np.array([r[name]["len"] - r["true_len"] for r in rr])
            lengths[f"{name}/{kind}"] = {
                "true_mean": float(np.mean([r["true_len"] for r in rr])),
                "pred_mean": float(np.mean([r[name]["len"] for r in rr])),
                "exact_len": float(np.mean(d == 0)), "shorter": float(np.mean(d < 0)), "longer": float(np.mean(d > 0)),
                "diff_quantiles_10_50_90": [float(x) for x in np.percentile(d, [10, 50, 90])]}
    return {"table": table, "lengths": lengths}


def print_table(summary, log=print):
    log(f"{'system':30s} {'cell':24s} {'n':>5s} {'EM':>6s} {'ES':>6s} {'fwd':>6s} {'tok/fwd':>7s}")
    for name, cells in summary["table"].items():
        for cell, v in cells.items():
            log(f"{name:30s} {cell:24s} {v['n']:5d} {100 * v['exact_match']:6.1f} {100 * v['edit_similarity']:6.1f} "
                f"{v['forwards']:6.1f} {v['tokens_per_forward']:7.2f}")
    for k, v in summary["lengths"].items():
        log(f"length {k:45s} true {v['true_mean']:.1f} pred {v['pred_mean']:.1f} exact {100 * v['exact_len']:.0f}% "
            f"shorter {100 * v['shorter']:.0f}% longer {100 * v['longer']:.0f}% d10/50/90 {v['diff_quantiles_10_50_90']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--diffusion", default="")
    ap.add_argument("--ar", default="")
    ap.add_argument("--cases", default=str(REPO / "bench/data/infill-heldout.jsonl.gz"))
    ap.add_argument("--tokenizer", default=str(REPO / "models/tokenizer.json"))
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--eos-rule", default="end", choices=["end", "leftmost", "anywhere"])
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(args.tokenizer)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cases = load_cases(args.cases)
    if args.limit:  # an evenly spread subset: every language and kind
        cases = cases[::max(1, len(cases) // args.limit)][:args.limit]
    toks = tokenize_cases(cases, tok)
    dm = load_model(args.diffusion, dev)[0] if args.diffusion else None
    am = load_model(args.ar, dev)[0] if args.ar else None
    rows, summary = evaluate(cases, toks, tok, dm, am, args.threshold, eos_rule=args.eos_rule)
    print_table(summary)
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "threshold": args.threshold, "eos_rule": args.eos_rule,
                                              "diffusion": args.diffusion, "ar": args.ar}, indent=1))
        with gzip.open(str(args.out).replace(".json", "-cases.jsonl.gz"), "wt") as f:
            for r in rows:
                f.write(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "ids"} if isinstance(v, dict) else v)
                                    for k, v in r.items()}) + "\n")


if __name__ == "__main__":
    main()
