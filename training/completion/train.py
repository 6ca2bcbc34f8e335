#!/usr/bin/env python3
"""Train the completion diffusion model and its AR fill-in-the-middle twin (same shape, data, token budget).

  python3 training/completion/train.py --modes diffusion,ar --shape d256l8 --minutes 20 --out training/runs/c1
  python3 training/completion/train.py --modes diffusion --init RUN/ar/weights-final.pt ...   (Dream-style init)

--modes diffusion,ar trains both models IN LOCKSTEP in one process: every step draws one batch of spans and
builds both layouts from it (data.Batches), then steps each model once. So the two see exactly the same spans,
the same number of steps and the same wall-clock schedule: "same data and token budget" by construction.

Schedule: linear warmup, then cosine to 10% of the peak over a fixed number of --steps, or, with --minutes,
over wall-clock time (progress = elapsed / budget), so the run decays and finishes on time on a shared GPU
whose throughput we cannot know in advance. The steps actually done are logged and saved.

Prints loss, tokens/s, held-out loss and held-out infill exact match as it goes; saves ckpt-MODE.pt
(model + optimizer + step, fp32) every --ckpt-minutes and keeps each evaluated checkpoint's weights as
MODE-weights-STEP.pt (bf16; the weights that were evaluated stay available), and MODE-weights-final.pt at the end. --resume continues an
interrupted run from the ckpt-MODE.pt files in --out (weights, optimizer, step, tokens seen; with --steps the
schedule continues where it stopped, with --minutes the remaining time is a new budget); --init / --init-ar
start a new run from weights only.

Loss:
  diffusion: sum over masked positions of CE / t, normalised per slot (data.diffusion_example), mean over the
    batch: canvas term + context term (the context is noised in half the sequences).
  ar: mean next-token CE over every non-pad position (prefix, suffix, middle, <eos>).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import Config, Transformer, SHAPES, PAD  # noqa: E402
import data as D  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def hidden_fn(model, b, mode):
    """The static-shape part (compiled): batch -> final hidden states [B,T,D]."""
    if mode == "diffusion":
        return model.hidden(b["ids"], b["pos"], D.diffusion_mask(b["role"], b["chunk"], b["kept"]))
    return model.hidden(b["ids"], b["pos"], causal=True)


def loss_fn(model, b, mode, hidden=hidden_fn):
    """b: a batch dict on the device -> (loss, number of supervised tokens). The LM head runs only where
    there is a loss (a boolean gather = dynamic shape, so it stays outside the compiled part)."""
    h = hidden(model, b, mode)                                           # [B,T,D]
    if mode == "diffusion":
        sel = b["w"] > 0
        logits = model.logits(h[sel]).float()                            # [N,V]
        ce = F.cross_entropy(logits, b["tgt"][sel], reduction="none")
        return (ce * b["w"][sel]).sum() / b["ids"].shape[0], int(sel.sum())
    sel = b["tgt"] != PAD
    logits = model.logits(h[sel]).float()
    return F.cross_entropy(logits, b["tgt"][sel]), int(sel.sum())


def lr_at(progress, step, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


class Run:
    """One model being trained: weights, optimizer, compiled forward, counters."""

    def __init__(self, mode, cfg, args, dev, log):
        self.mode, self.cfg = mode, cfg
        self.model = Transformer(cfg).to(dev)
        init = args.init if mode == "diffusion" else args.init_ar
        if init:
            ck = torch.load(init, map_location="cpu", weights_only=False)
            self.model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
            log(f"{mode} initialised from {init} (step {ck.get('step')}, {ck.get('tokens', 0) / 1e6:.0f}M tokens)")
        self.opt = adamw(self.model, args.lr, args.wd)
        self.hidden = torch.compile(hidden_fn) if args.compile else hidden_fn
        self.tokens = self.sup = 0
        self.history = []

    def resume(self, path, log):
        ck = torch.load(path, map_location="cpu", weights_only=False)
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        self.tokens, self.sup = ck.get("tokens", 0), ck.get("sup", 0)
        log(f"{self.mode} resumed from {path} at step {ck['step']} ({self.tokens / 1e6:.0f}M tokens)")
        return ck["step"]

    def save(self, path, with_opt, step):
        sd = self.model.state_dict()
        ck = {"model": {k: (v if with_opt else v.to(torch.bfloat16)).detach().cpu() for k, v in sd.items()},
              "config": self.cfg.to_dict(), "step": step, "mode": self.mode, "tokens": self.tokens, "sup": self.sup}
        if with_opt:
            ck["opt"] = self.opt.state_dict()
        tmp = str(path) + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, path)


def adamw(model, lr, wd):
    """AdamW (0.9, 0.95) with weight decay on the matrices only (not on norm weights)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0}],
                             lr=lr, betas=(0.9, 0.95), fused=True)


def start_run(out_dir, seed):
    """How a training script here starts: the output folder, a logger that prints each line with the time and
    appends it to OUT/log.txt, the seed, TF32 matmuls. -> (out Path, log function, the open log file)."""
    out = Path(out_dir); out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "log.txt", "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True); logf.write(line + "\n"); logf.flush()

    torch.manual_seed(seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    return out, log, logf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", default="diffusion,ar")
    ap.add_argument("--shape", default="d256l8", choices=sorted(SHAPES))
    ap.add_argument("--corpus", default=str(REPO / ".carry/corpus"))
    ap.add_argument("--tokenizer", default=str(REPO / "models/tokenizer.json"))
    ap.add_argument("--cache", default="/tmp/nanomind-tok", help="tokenized corpus cache folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=100000, help="step budget (the schedule's length unless --minutes)")
    ap.add_argument("--minutes", type=float, default=0, help="wall-clock budget for the training loop")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", default="", help="initialise the diffusion model from this checkpoint (AR twin)")
    ap.add_argument("--init-ar", default="", help="continue the AR twin from this checkpoint (equal extra budget)")
    ap.add_argument("--eval-minutes", type=float, default=4)
    ap.add_argument("--ckpt-minutes", type=float, default=2)
    ap.add_argument("--eval-cases", type=int, default=240)
    ap.add_argument("--resume", action="store_true", help="continue from the ckpt-MODE.pt files in --out")
    ap.add_argument("--compile", type=int, default=1)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--prep-only", action="store_true", help="tokenize the corpus into --cache and exit")
    ap.add_argument("--typed-p", type=float, default=0.0,
                    help="share of diffusion spans given a typed start of their first line (data.Batches); the "
                         "held-out loss batches never are, so it stays comparable")
    args = ap.parse_args()

    out, log, logf = start_run(args.out, args.seed)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(args.tokenizer)
    V = tok.get_vocab_size()
    cache = Path(args.cache)
    t0 = time.time()
    train = D.load_or_tokenize(Path(args.corpus), "train", args.tokenizer, cache / "train.npz")
    held = D.load_or_tokenize(Path(args.corpus), "eval", args.tokenizer, cache / "eval.npz")
    log(f"tokens: train {len(train['ids']):,} held-out {len(held['ids']):,} line starts {len(train['ls']):,} "
        f"({time.time() - t0:.0f}s); vocab {V}")
    if args.prep_only:
        return
    dev = torch.device("cuda")
    modes = args.modes.split(",")
    cfg = Config(**{**SHAPES[args.shape].to_dict(), "vocab_size": V})
    if args.init:  # a grown checkpoint (grow.py) carries its own RMSNorm epsilon; the shape must be the same
        init_cfg = Config(**torch.load(args.init, map_location="cpu", weights_only=False)["config"])
        if {**init_cfg.to_dict(), "norm_eps": 0} != {**cfg.to_dict(), "norm_eps": 0}:
            raise SystemExit(f"--init {args.init} is {init_cfg}, not the shape {args.shape} ({cfg})")
        cfg = init_cfg
    runs = {m: Run(m, cfg, args, dev, log) for m in modes}
    log(f"{modes} {args.shape}: {runs[modes[0]].model.n_params() / 1e6:.2f}M params each ({cfg}); args {vars(args)}")

    # Held-out loss on fixed batches (fixed seed -> same spans for both modes) and a quick infill check.
    it = iter(D.Batches(held, modes, args.batch, seed=12345))
    held_batches = [{m: {k: v.to(dev) for k, v in bb.items()} for m, bb in next(it).items()} for _ in range(4)]
    import eval as E
    cases = E.load_cases(REPO / "bench/data/infill-heldout.jsonl.gz")
    sub = cases[::max(1, len(cases) // args.eval_cases)][:args.eval_cases]   # every k-th: all languages and kinds
    sub_toks = E.tokenize_cases(sub, tok)

    def evaluate(step):
        for m, r in runs.items():
            r.model.eval()
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
                hl = float(np.mean([loss_fn(r.model, b[m], m)[0].item() for b in held_batches]))
            name = "diffusion" if m == "diffusion" else "autoregressive"
            kw = {"diff_model": r.model} if m == "diffusion" else {"ar_model": r.model}
            _, s = E.evaluate(sub, sub_toks, tok, log=lambda *_: None, one_per_step=False, **kw)
            r.model.train()
            cell = s["table"][name]
            msg = " ".join(f"{k} EM {100 * cell[k]['exact_match']:.1f}" for k in ("all/single_line", "all/multi_line", "all/all"))
            if m == "diffusion":
                lt = s["lengths"]["diffusion/single_line"]
                msg += (f" tok/fwd {cell['all/all']['tokens_per_forward']:.2f} single-line len true {lt['true_mean']:.1f}"
                        f" pred {lt['pred_mean']:.1f}")
            log(f"[{m}] step {step} held-out loss {hl:.4f} | {msg}")
            r.history.append({"step": step, "held_out_loss": hl, "tokens_seen": r.tokens, "summary": s})
            r.save(out / f"{m}-weights-{step}.pt", False, step)
            (out / f"{m}-history.json").write_text(json.dumps(r.history, indent=1))

    step = 0
    if args.resume:
        steps = {m: r.resume(out / f"ckpt-{m}.pt", log) for m, r in runs.items()}
        if len(set(steps.values())) != 1:
            raise SystemExit(f"--resume: the checkpoints are at different steps {steps}")
        step = next(iter(steps.values()))
    # A resumed run draws fresh batches (another seed per resumed step), not the ones it already trained on.
    loader = torch.utils.data.DataLoader(D.Batches(train, modes, args.batch, seed=args.seed + 7919 * step, typed_p=args.typed_p),
                                         batch_size=None,
                                         num_workers=args.workers, pin_memory=True, prefetch_factor=4,
                                         persistent_workers=True)
    first_step = step
    t_start = time.time(); t_last = t_start; tok_last = 0
    last_ckpt = last_eval = t_start
    budget = args.minutes * 60
    for b in loader:
        elapsed = time.time() - t_start
        progress = elapsed / budget if budget else step / args.steps   # (a resumed --minutes run: a new budget)
        if progress >= 1 or step >= args.steps:
            break
        lr = lr_at(progress, step - first_step if budget else step, args.lr, args.warmup)
        losses = {}
        for m, r in runs.items():
            bm = {k: v.to(dev, non_blocking=True) for k, v in b[m].items()}
            for g in r.opt.param_groups:
                g["lr"] = lr
            with torch.autocast("cuda", dtype=torch.bfloat16):
                try:
                    loss, nsup = loss_fn(r.model, bm, m, r.hidden)
                except Exception as e:  # torch.compile trouble must not cost the run: fall back to eager
                    if r.hidden is hidden_fn:
                        raise
                    log(f"[{m}] compiled forward failed ({e!r:.300}); running eager")
                    r.hidden = hidden_fn
                    loss, nsup = loss_fn(r.model, bm, m, r.hidden)
            r.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(r.model.parameters(), 1.0)
            r.opt.step()
            r.tokens += int((bm["tgt"] != PAD).sum()) if m == "ar" else int((bm["role"] > 0).sum())
            r.sup += nsup
            losses[m] = loss
        step += 1
        if step % 50 == 0:
            now = time.time()
            first = runs[modes[0]]
            log(f"step {step} " + " ".join(f"{m} loss {l.item():.4f}" for m, l in losses.items()) +
                f" lr {lr:.2e} progress {progress:.3f} | {(first.tokens - tok_last) / (now - t_last) / 1e6:.2f}M tok/s per model; "
                + " ".join(f"{m} seen {r.tokens / 1e6:.0f}M tok ({r.sup / 1e6:.0f}M supervised)" for m, r in runs.items()))
            t_last, tok_last = now, first.tokens
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            for m, r in runs.items():
                r.save(out / f"ckpt-{m}.pt", True, step)
            last_ckpt = time.time()
        if time.time() - last_eval > args.eval_minutes * 60:
            evaluate(step)
            last_eval = time.time()
    log(f"training loop done: {step} steps in {(time.time() - t_start) / 60:.1f} min")
    for m, r in runs.items():  # so a finished run can be extended with --resume
        r.save(out / f"ckpt-{m}.pt", True, step)
    evaluate(step)
    for m, r in runs.items():
        r.save(out / f"{m}-weights-final.pt", False, step)
    (out / "done.json").write_text(json.dumps({"steps": step, "minutes": (time.time() - t_start) / 60,
                                               "tokens": {m: r.tokens for m, r in runs.items()},
                                               "supervised": {m: r.sup for m, r in runs.items()}}))
    log("done")
    logf.close()
    os._exit(0)  # the dataloader workers are endless generators


if __name__ == "__main__":
    main()
