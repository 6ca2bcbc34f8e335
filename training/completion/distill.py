#!/usr/bin/env python3
"""Self-distillation for parallel decoding: teach the diffusion model to commit more tokens per pass.

  python3 training/completion/distill.py --init D.pt --corpus .carry/corpus --out RUN [--pool 262144] [--minutes 8]

Why: a masked-diffusion model commits a slot only when it is confident, and with many slots masked at once its
guesses are marginals over every way the span could go (is it `i` or `idx`? one line or two?), so at the
shipped threshold it committed 1.77 tokens per pass on multi-line spans. Real code is ambiguous; the model's
own answer is not: the span it writes one slot at a time is a single, fixed continuation of the context. So
(the idea behind consistency / certainty-forcing distillation of diffusion LMs, e.g. dParallel, CDLM):

1. teacher pass: for spans drawn like the training spans (data.SpanSampler), decode the middle with the model
   itself, carefully (threshold --teacher-threshold: nearly one token per pass), on the same 64-slot canvas
   eval.py uses; a single-line span's answer is cut after its first line break (what the server shows).
   An answer is kept only if every committed token had probability >= --min-confidence (what the server would
   show at all) and it ended (<eos>) within the canvas; otherwise that context keeps its true middle.
2. student: the same network, trained with the ordinary masked-diffusion loss (train.loss_fn) on batches that
   mix teacher answers (--teacher-share) with true spans from the corpus (so it stays grounded in real code and
   keeps being unsure where the teacher was). Learning to fill the teacher's answer from any subset of its
   slots makes the marginals at heavily masked canvases sharp, so more slots clear the threshold per pass.
3. held-out evaluation of the initial model and the student side by side (eval.py, 1200 cases, the server's
   threshold, and one token per pass), written to RUN/eval.json; the student's weights to
   RUN/diffusion-weights-final.pt (bf16).

The AR twin is not touched: distillation for parallel commits has no AR counterpart (an AR model always commits
one token per pass); its EM/ES are the baseline the student must still beat.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data as D  # noqa: E402
import eval as E  # noqa: E402
import train as TR  # noqa: E402
from model import Config, Transformer, EOS  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def teacher_pool(model, train, n, args, tok, log):
    """Draw n spans, decode each with the model; -> dict of arrays (doc, s, e, kind, ids [n,63], len [n], keep [n])."""
    nl = E.newline_token_ids(tok)   # a token holding a line break ends with it (data.py's pretokenizer)
    spans = D.SpanSampler(train, seed=args.seed * 7 + 1)
    rows = [spans.draw() for _ in range(n)]
    doc, s, e, kind = (np.array(x) for x in zip(*rows))
    out_ids = np.zeros((n, D.MAX_SPAN), np.int32)
    out_len = np.zeros(n, np.int32)
    keep = np.zeros(n, bool)
    t0 = time.time()
    step = args.gen_batch * 8
    for a in range(0, n, step):
        items = []
        for k in range(a, min(n, a + step)):
            p, _, sfx = D.context_of(train, int(doc[k]), int(s[k]), int(e[k]))
            items.append({"prefix": p.tolist(), "suffix": sfx.tolist()})
        outs, _, _, confs = E.diffusion_generate(model, items, D.BUCKETS[-1], args.teacher_threshold, batch=args.gen_batch)
        for j, (o, c) in enumerate(zip(outs, confs)):
            k = a + j
            ended = len(o) < D.BUCKETS[-1]       # an <eos> was committed inside the canvas
            if kind[k] == 0:                     # single line: up to and with the first line break
                cut = next((i + 1 for i, t in enumerate(o) if t in nl), None)
                ended = cut is not None
                o, c = o[:cut or 0], c[:cut or 0]
            ok = ended and 0 < len(o) <= D.MAX_SPAN and min(c) >= args.min_confidence
            if ok:
                out_ids[k, :len(o)] = o
                out_len[k] = len(o)
                keep[k] = True
        log(f"teacher: {min(n, a + step):,}/{n:,} spans decoded, kept {keep[:a + step].mean():.1%} "
            f"({time.time() - t0:.0f}s)")
    return {"doc": doc, "s": s, "e": e, "kind": kind, "ids": out_ids, "len": out_len, "keep": keep}


class MixedBatches(torch.utils.data.IterableDataset):
    """Diffusion batches in which each example is, with probability `share`, a kept teacher answer (its own
    context, the teacher's middle) and otherwise a fresh true span; fresh masking noise every time."""

    def __init__(self, train, pool, share, batch, seed):
        self.train, self.batch, self.share, self.seed = train, batch, share, seed
        k = np.nonzero(pool["keep"])[0]
        self.pool = {key: v[k] for key, v in pool.items()}

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = np.random.default_rng(self.seed * 1000 + wid)
        spans = D.SpanSampler(self.train, seed=self.seed * 1000 + wid + 500)
        P = self.pool
        while True:
            xs = []
            for _ in range(self.batch):
                if rng.random() < self.share:
                    i = int(rng.integers(len(P["doc"])))
                    p, _, sfx = D.context_of(self.train, int(P["doc"][i]), int(P["s"][i]), int(P["e"][i]))
                    mid = P["ids"][i, :P["len"][i]].astype(np.int64)
                else:
                    p, mid, sfx = D.context_of(self.train, *spans.draw()[:3])
                xs.append(D.diffusion_example(p, mid, sfx, rng))
            yield {"diffusion": {k: torch.from_numpy(np.stack([x[k] for x in xs])) for k in xs[0] if k not in ("C", "L")}}


def evaluate_pair(models, cases, toks, tok, threshold, log):
    """Both models, the server's threshold and one token per pass, on the same cases -> summary per model."""
    res = {}
    for name, m in models.items():
        m.eval()
        _, s = E.evaluate(cases, toks, tok, diff_model=m, threshold=threshold, batch=512, log=lambda *_: None)
        res[name] = s
        for sysname in ("diffusion", "diffusion_one_token_per_step"):
            t = s["table"][sysname]
            log(f"[eval {name}] {sysname:30s} " + " | ".join(
                f"{cell} EM {100 * t[cell]['exact_match']:.1f} ES {100 * t[cell]['edit_similarity']:.1f} "
                f"tok/fwd {t[cell]['tokens_per_forward']:.2f}" for cell in ("all/single_line", "all/multi_line", "all/all")))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True, help="diffusion checkpoint to start from (from_onnx.py rebuilds one from models/)")
    ap.add_argument("--corpus", default=str(REPO / ".carry/corpus"))
    ap.add_argument("--tokenizer", default=str(REPO / "models/tokenizer.json"))
    ap.add_argument("--cache", default="/tmp/nanomind-distill-tok")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pool", type=int, default=262144, help="spans the teacher decodes")
    ap.add_argument("--gen-batch", type=int, default=1024)
    ap.add_argument("--teacher-threshold", type=float, default=0.9)
    ap.add_argument("--min-confidence", type=float, default=0.2, help="the server's gate (server/src/completion/index.ts)")
    ap.add_argument("--teacher-share", type=float, default=0.5)
    ap.add_argument("--minutes", type=float, default=8, help="wall-clock budget of the student's training loop")
    ap.add_argument("--steps", type=int, default=0, help="step budget instead of --minutes (smoke tests)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--compile", type=int, default=1)
    ap.add_argument("--eval-threshold", type=float, default=0.3, help="the server's commit threshold")
    ap.add_argument("--eval-limit", type=int, default=0, help="evaluate on an evenly spread subset (0 = all 1200)")
    args = ap.parse_args()

    out, log, logf = TR.start_run(args.out, args.seed)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(args.tokenizer)
    dev = torch.device("cuda")
    train = D.load_or_tokenize(Path(args.corpus), "train", args.tokenizer, Path(args.cache) / "train.npz")
    log(f"train tokens {len(train['ids']):,}; args {vars(args)}")
    teacher, ck = E.load_model(args.init, dev)
    t0 = time.time()
    pool = teacher_pool(teacher, train, args.pool, args, tok, log)
    gen_s = time.time() - t0
    kept = pool["keep"]
    log(f"teacher pool: {kept.sum():,} of {len(kept):,} kept ({kept.mean():.1%}; single line "
        f"{kept[pool['kind'] == 0].mean():.1%}, multi {kept[pool['kind'] > 0].mean():.1%}), mean length "
        f"{pool['len'][kept].mean():.1f} tokens, {gen_s:.0f}s")

    student = Transformer(Config(**ck["config"])).to(dev)
    student.load_state_dict(teacher.state_dict())
    student.train()
    opt = TR.adamw(student, args.lr, args.wd)
    hidden = torch.compile(TR.hidden_fn) if args.compile else TR.hidden_fn
    loader = torch.utils.data.DataLoader(MixedBatches(train, pool, args.teacher_share, args.batch, args.seed),
                                         batch_size=None, num_workers=args.workers, pin_memory=True, prefetch_factor=4,
                                         persistent_workers=True)
    budget = args.minutes * 60
    step, tokens = 0, 0
    t_start = t_last = time.time()
    for b in loader:
        progress = (time.time() - t_start) / budget if not args.steps else step / args.steps
        if progress >= 1:
            break
        lr = TR.lr_at(progress, step, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        bm = {k: v.to(dev, non_blocking=True) for k, v in b["diffusion"].items()}
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss, _ = TR.loss_fn(student, bm, "diffusion", hidden)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        tokens += int((bm["role"] > 0).sum())
        step += 1
        if step % 100 == 0:
            now = time.time()
            log(f"step {step} loss {loss.item():.4f} lr {lr:.2e} progress {progress:.3f} "
                f"({100 * args.batch / (now - t_last):.0f} seq/s)")
            t_last = now
    train_s = time.time() - t_start
    log(f"student: {step} steps in {train_s / 60:.1f} min")
    ckpt = {"model": {k: v.detach().to(torch.bfloat16).cpu() for k, v in student.state_dict().items()},
            "config": ck["config"], "step": step, "mode": "diffusion", "tokens": tokens,
            "distill": dict(vars(args))}
    torch.save(ckpt, out / "diffusion-weights-final.pt")

    cases = E.load_cases(REPO / "bench/data/infill-heldout.jsonl.gz")
    if args.eval_limit:
        cases = cases[::max(1, len(cases) // args.eval_limit)][:args.eval_limit]
    toks = E.tokenize_cases(cases, tok)
    res = evaluate_pair({"initial": teacher, "student": student}, cases, toks, tok, args.eval_threshold, log)
    done = {"steps": step, "minutes": train_s / 60, "teacher_minutes": gen_s / 60, "tokens": {"diffusion": tokens},
            "pool": {"spans": int(len(kept)), "kept": int(kept.sum()), "mean_len": float(pool["len"][kept].mean())},
            "args": vars(args)}
    (out / "eval.json").write_text(json.dumps({"summary": res, "threshold": args.eval_threshold,
                                               "cases": len(cases)}, indent=1))
    (out / "done.json").write_text(json.dumps(done, indent=1))
    log("done")
    logf.close()
    os._exit(0)  # the dataloader workers are endless generators


if __name__ == "__main__":
    main()
