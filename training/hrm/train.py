"""Train one HRM family with deep supervision and a learned halt.

  python -m training.hrm.train --family sudoku --out training/runs/sudoku --minutes 18
  python -m training.hrm.train --family maze   --out training/runs/maze   --minutes 18

Background-friendly: prints one log line every --log-every seconds, writes
<out>/ckpt.pt every --ckpt-every seconds and at the end, resumes from it when
present (the LR schedule follows the wall-clock budget, elapsed time included),
and stops early when the file <out>/STOP appears.

Training loop (HRM's "carry"): a persistent batch of B puzzles, each with its
own z_H, z_L and step counter. Every optimizer step runs ONE ACT step on the
whole batch, with loss = CE(answer) + BCE(halt_logit, answer fully right).
States are detached between steps (deep supervision). A puzzle leaves the
batch when its halt logit is > 0 (after a random minimum number of steps for
10% of puzzles, to explore) or at max_steps; its slot gets a fresh augmented
puzzle and all-zero states.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import glob
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .eval import act_torch, load_test
from .model import HRM, HRMConfig, MAZE, SUDOKU, count_params, widen_state


# ----------------------------------------------------------------------------- data


class PuzzlePool:
    """All generated training puzzles of one family, on the GPU, re-scanned for new files."""

    def __init__(self, family, pattern, device, hard_min_guesses=0, hard_frac=0.8, exclude=None):
        self.family, self.pattern, self.device = family, pattern, device
        # held-out puzzles (as bytes): any exact copy in the training files is dropped
        self.exclude = set(bytes(r) for r in exclude.astype(np.uint8)) if exclude is not None else set()
        self.hard_min, self.hard_frac = hard_min_guesses, hard_frac
        self.loaded = set()
        self.tok = self.tgt = None
        self.hard = None
        self.refresh()
        if family == "maze":  # 8 symmetries of the square as gather maps [8, 900]
            g = MAZE["grid"]
            base = torch.arange(g * g, device=device).view(g, g)
            maps = []
            for k in range(4):
                r = torch.rot90(base, k)
                maps += [r.reshape(-1), r.flip(1).reshape(-1)]
            self.maps = torch.stack(maps)

    def refresh(self):
        files = sorted(f for pat in self.pattern.split(",") for f in glob.glob(pat))
        new = [f for f in files if f not in self.loaded]
        for f in new:
            try:
                d = np.load(f)
                if self.family == "sudoku":
                    tok, tgt = d["puzzles"], d["solutions"]
                    hard = d["guesses"] >= self.hard_min
                else:
                    tok, tgt = d["grids"], d["labels"]
                    hard = np.ones(len(tok), bool)
            except Exception as e:  # a file still being written: try again next time
                print(f"skip {f}: {e}", flush=True)
                continue
            keep = np.array([bytes(r) not in self.exclude for r in tok.astype(np.uint8)], bool)
            if not keep.all():
                print(f"{f}: dropped {int((~keep).sum())} puzzles that are in the held-out set", flush=True)
                tok, tgt, hard = tok[keep], tgt[keep], hard[keep]
            t = torch.from_numpy(tok.astype(np.int64)).to(self.device)
            y = torch.from_numpy(tgt.astype(np.int64)).to(self.device)
            h = torch.from_numpy(hard).to(self.device)
            self.tok = t if self.tok is None else torch.cat([self.tok, t])
            self.tgt = y if self.tgt is None else torch.cat([self.tgt, y])
            self.hard = h if self.hard is None else torch.cat([self.hard, h])
            self.loaded.add(f)
        if new:
            self.hard_idx = self.hard.nonzero().squeeze(1)
            print(f"pool: {len(self.tok)} puzzles ({len(self.hard_idx)} hard) from {len(self.loaded)} files", flush=True)

    def sample(self, k):
        """k augmented puzzles -> tokens [k, N], targets [k, N] (class ids)."""
        dev = self.device
        n = self.tok.shape[0]
        idx = torch.randint(0, n, (k,), device=dev)
        if len(self.hard_idx) > 0:
            hi = self.hard_idx[torch.randint(0, len(self.hard_idx), (k,), device=dev)]
            idx = torch.where(torch.rand(k, device=dev) < self.hard_frac, hi, idx)
        p, s = self.tok[idx], self.tgt[idx]
        if self.family == "sudoku":
            return self._aug_sudoku(p, s)
        m = self.maps[torch.randint(0, 8, (k,), device=dev)]  # [k, 900]
        return p.gather(1, m), s.gather(1, m)

    def _aug_sudoku(self, p, s):
        k, dev = p.shape[0], self.device
        # relabel digits (0 = blank stays 0)
        perm = torch.argsort(torch.rand(k, 9, device=dev), 1) + 1
        perm = torch.cat([torch.zeros(k, 1, dtype=torch.long, device=dev), perm], 1)  # [k, 10]
        p, s = perm.gather(1, p), perm.gather(1, s)

        # permute bands and rows within bands (same for stacks/columns); new line i <- old line lp[i]
        def lines():
            band = torch.argsort(torch.rand(k, 3, device=dev), 1)
            within = torch.argsort(torch.rand(k, 3, 3, device=dev), 2)
            return (band[:, :, None] * 3 + within).reshape(k, 9)

        rp, cp = lines(), lines()
        idx = rp[:, :, None] * 9 + cp[:, None, :]  # [k, 9, 9] old cell of new cell (i, j)
        tr = torch.rand(k, device=dev) < 0.5
        idx = torch.where(tr[:, None, None], idx.transpose(1, 2), idx).reshape(k, 81)
        return p.gather(1, idx), s.gather(1, idx) - 1  # targets: class k = digit k+1


class FreshPool(PuzzlePool):
    """Fresh puzzles all the time (--fresh WORKERS): worker processes run the wide generators
    (training/hrm/wide.py) and each finished chunk overwrites the oldest puzzles of a ring of
    `capacity`, so a puzzle is drawn only a few times before it is replaced (no epochs over a pool)."""

    def __init__(self, family, workers, device, capacity=20000, seed=0, chunk=50, min_fill=256):
        from multiprocessing import get_context

        from .data import _wide_worker

        self.worker_fn, self.chunk, self.capacity = _wide_worker, chunk, capacity
        self.procs = get_context("spawn").Pool(workers)
        self.pending, self.job, self.seed, self.filled, self.slot = [], 0, 7_000_003 * (seed + 1), 0, 0
        self.buf_tok = self.buf_tgt = None
        self.want = 2 * workers
        super().__init__(family, "", device)
        while self.filled < min_fill:  # wait for a first batch's worth
            time.sleep(1)
            self.refresh()

    def refresh(self):
        while len(self.pending) < self.want:
            self.pending.append(self.procs.apply_async(self.worker_fn, ((self.family, self.seed + self.job, self.chunk),)))
            self.job += 1
        done = [r for r in self.pending if r.ready()]
        self.pending = [r for r in self.pending if not r.ready()]
        for r in done:
            items = r.get()  # a worker's exception surfaces here, not silently
            # (puzzle, solution digits, rating) or (grid, path label, length): inputs and targets alike
            tok = np.array([i[0] for i in items], np.int64)
            tgt = np.array([i[1] for i in items], np.int64)
            if self.buf_tok is None:
                self.buf_tok = torch.zeros(self.capacity, tok.shape[1], dtype=torch.long, device=self.device)
                self.buf_tgt = torch.zeros_like(self.buf_tok)
            for t, y in zip(torch.from_numpy(tok), torch.from_numpy(tgt)):
                self.buf_tok[self.slot], self.buf_tgt[self.slot] = t, y
                self.slot = (self.slot + 1) % self.capacity
                self.filled = min(self.capacity, self.filled + 1)
        if self.buf_tok is not None:
            self.tok, self.tgt = self.buf_tok[: self.filled], self.buf_tgt[: self.filled]
            self.hard_idx = torch.zeros(0, dtype=torch.long, device=self.device)


# ----------------------------------------------------------------------------- train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["sudoku", "maze"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", help="comma-separated globs of training npz files (default .carry/hrm/<family>_train*.npz)")
    ap.add_argument("--test", help="held-out npz (default .carry/hrm/<family>_test.npz)")
    ap.add_argument("--cfg", default="{}", help="json overrides of HRMConfig")
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--halt-weight", type=float, default=0.5)
    ap.add_argument("--minutes", type=float, default=18)
    ap.add_argument("--hard-min-guesses", type=int, default=0)
    ap.add_argument("--hard-frac", type=float, default=0.8)
    ap.add_argument("--compile", type=int, default=1)
    ap.add_argument("--log-every", type=float, default=20)
    ap.add_argument("--ckpt-every", type=float, default=60)
    ap.add_argument("--eval-every", type=float, default=240)
    ap.add_argument("--eval-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-from", help="start from this checkpoint's EMA weights (fresh optimizer and schedule); "
                    "d may be a multiple of the checkpoint's (widened) and the cycle counts may differ; a shipped "
                    "models/hrm-*.onnx also works (weights read back from the graph, config from models/manifest.json)")
    ap.add_argument("--fresh", type=int, default=0, metavar="WORKERS",
                    help="train on fresh puzzles from the wide generators (training/hrm/wide.py), made by this many "
                         "worker processes while training runs, instead of --data pools")
    ap.add_argument("--fresh-capacity", type=int, default=20000)
    a = ap.parse_args()
    init = None
    if a.init_from and a.init_from.endswith(".onnx"):
        from .onnx_weights import checkpoint_from_onnx

        init = checkpoint_from_onnx(a.init_from)

    torch.manual_seed(a.seed)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    base = SUDOKU if a.family == "sudoku" else MAZE
    cfg = HRMConfig(**{**base, **(init["cfg"] if init else {}), **json.loads(a.cfg)})
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, "ckpt.pt")

    model = HRM(cfg).to(dev)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "embed" in n_ else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), **({"fused": True} if dev == "cuda" else {}))
    it, elapsed0 = 0, 0.0
    if a.init_from and not os.path.exists(ckpt_path):
        # continue from another run's EMA weights with a fresh optimizer and a new schedule
        ck = init or torch.load(a.init_from, map_location=dev, weights_only=False)
        same = {"max_steps": cfg.max_steps, "h_cycles": cfg.h_cycles, "l_cycles": cfg.l_cycles, "d": cfg.d}
        assert {**ck["cfg"], **same} == cfg.to_dict(), "layers or family differ from the --init-from checkpoint"
        state, k = ck["ema"], cfg.d // ck["cfg"]["d"]
        if k != 1:  # a wider model that starts out computing the same function (see widen_state)
            assert cfg.d == k * ck["cfg"]["d"], "--init-from: d must be a multiple of the checkpoint's d"
            state = {n_: t.to(dev) for n_, t in widen_state({n_: t.cpu() for n_, t in state.items()}, k).items()}
        model.load_state_dict(state)
        ema.load_state_dict(state)
        print(f"initialised from {a.init_from} (EMA weights, it {ck['it']}, d {ck['cfg']['d']} -> {cfg.d}, "
              f"cycles H{cfg.h_cycles} L{cfg.l_cycles})", flush=True)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev, weights_only=False)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        it, elapsed0 = ck["it"], ck["elapsed"]
        print(f"resumed from {ckpt_path} at it {it}, {elapsed0:.0f}s", flush=True)
    print(f"{a.family}: {count_params(model)} params, cfg {cfg.to_dict()}", flush=True)

    test_path = a.test or f".carry/hrm/{a.family}_test.npz"
    all_test, _ = load_test(test_path, a.family)
    if a.fresh:
        pool = FreshPool(a.family, a.fresh, dev, a.fresh_capacity, a.seed, min_fill=a.batch)
    else:
        pool = PuzzlePool(a.family, a.data or f".carry/hrm/{a.family}_train*.npz", dev, a.hard_min_guesses, a.hard_frac,
                          exclude=all_test)
    test_tok, test_tgt = load_test(test_path, a.family, a.hard_min_guesses, a.eval_n)
    test_tok = torch.from_numpy(test_tok).to(dev)
    test_tgt = torch.from_numpy(test_tgt).to(dev)

    step_fn = torch.compile(model) if (a.compile and dev == "cuda") else model

    B, N, D = a.batch, cfg.n_tokens, cfg.d
    tokens, target = pool.sample(B)
    z_H = torch.zeros(B, N, D, device=dev)
    z_L = torch.zeros(B, N, D, device=dev)
    steps = torch.zeros(B, dtype=torch.long, device=dev)
    min_steps = torch.ones(B, dtype=torch.long, device=dev)
    ema_params, params = list(ema.parameters()), list(model.parameters())

    # running stats over a log window
    win = dict(loss=0.0, cell=0.0, n=0, done=0, solved=0, steps=0)
    t_start = time.time()
    t_log = t_ck = t_ev = t_pool = t_start
    budget = a.minutes * 60
    model.train()
    while True:
        now = time.time()
        elapsed = elapsed0 + now - t_start
        if elapsed >= budget or os.path.exists(os.path.join(a.out, "STOP")):
            break
        frac = elapsed / budget
        lr = a.lr * min(1.0, (it + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr

        with autocast(dev == "cuda"):
            try:
                nz_H, nz_L, logits, halt = step_fn(tokens, z_H, z_L)
            except Exception as e:
                if step_fn is model:
                    raise
                print(f"torch.compile failed ({type(e).__name__}: {e}); running eager", flush=True)
                step_fn = model
                nz_H, nz_L, logits, halt = step_fn(tokens, z_H, z_L)
        logits = logits.float()
        ce = F.cross_entropy(logits.reshape(-1, cfg.vocab_out), target.reshape(-1))
        with torch.no_grad():
            pred = logits.argmax(-1)
            cell_ok = (pred == target).float().mean()
            solved = (pred == target).all(1)
        halt = halt.float()
        bce = F.binary_cross_entropy_with_logits(halt, solved.float())
        loss = ce + a.halt_weight * bce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            if hasattr(torch, "_foreach_lerp_"):
                torch._foreach_lerp_(ema_params, params, 1 - a.ema)
            else:  # older torch
                for e_, p_ in zip(ema_params, params):
                    e_.lerp_(p_, 1 - a.ema)
        it += 1

        with torch.no_grad():
            z_H, z_L = nz_H.detach().float(), nz_L.detach().float()
            steps += 1
            out = (steps >= cfg.max_steps) | ((halt > 0) & (steps >= min_steps))
            k = int(out.sum())
            win["loss"] += float(loss)
            win["cell"] += float(cell_ok)
            win["n"] += 1
            if k:
                win["done"] += k
                win["solved"] += int(solved[out].sum())
                win["steps"] += int(steps[out].sum())
                idx = out.nonzero().squeeze(1)
                nt, ny = pool.sample(k)
                tokens[idx], target[idx] = nt, ny
                z_H[idx] = 0.0
                z_L[idx] = 0.0
                steps[idx] = 0
                explore = torch.rand(k, device=dev) < 0.1
                min_steps[idx] = torch.where(explore, torch.randint(2, cfg.max_steps + 1, (k,), device=dev),
                                             torch.ones(k, dtype=torch.long, device=dev))

        now = time.time()
        if now - t_log >= a.log_every:
            n, d_ = win["n"], max(win["done"], 1)
            print(f"it {it} t {elapsed0 + now - t_start:.0f}s lr {lr:.2e} loss {win['loss']/n:.4f} "
                  f"cell {win['cell']/n:.4f} solved@halt {win['solved']/d_:.4f} steps@halt {win['steps']/d_:.2f} "
                  f"it/s {n/(now - t_log):.1f}", flush=True)
            win = dict(loss=0.0, cell=0.0, n=0, done=0, solved=0, steps=0)
            t_log = now
        if now - t_ev >= a.eval_every:
            evaluate(ema, test_tok, test_tgt, cfg, it)
            model.train()
            t_ev = now
        if now - t_pool >= (1 if a.fresh else 60):
            pool.refresh()
            t_pool = now
        if now - t_ck >= a.ckpt_every:
            save(ckpt_path, model, ema, opt, cfg, it, elapsed0 + now - t_start, a)
            t_ck = now

    save(ckpt_path, model, ema, opt, cfg, it, elapsed0 + time.time() - t_start, a)
    evaluate(ema, test_tok, test_tgt, cfg, it)
    print("done", flush=True)


def autocast(on):
    return torch.autocast("cuda", dtype=torch.bfloat16) if on else contextlib.nullcontext()


def evaluate(ema, tok, tgt, cfg, it):
    t0 = time.time()
    with autocast(tok.is_cuda):
        pred, steps = act_torch(ema, tok, cfg.max_steps)
    acc = float((pred == tgt).all(1).float().mean())
    print(f"EVAL it {it} held-out exact {acc:.4f} (n={len(tok)}) mean steps {float(steps.float().mean()):.2f} "
          f"({time.time()-t0:.1f}s)", flush=True)


def save(path, model, ema, opt, cfg, it, elapsed, a):
    tmp = path + ".tmp"
    torch.save({"cfg": cfg.to_dict(), "model": model.state_dict(), "ema": ema.state_dict(),
                "opt": opt.state_dict(), "it": it, "elapsed": elapsed, "args": vars(a)}, tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
