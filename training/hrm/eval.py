"""Held-out evaluation of an HRM: the full ACT loop, exactly as the runtime runs it.

  python -m training.hrm.eval --ckpt training/runs/sudoku/ckpt.pt --test .carry/hrm/sudoku_test.npz
  python -m training.hrm.eval --onnx models/hrm-maze.onnx --test .carry/hrm/maze_test.npz --n 100

Halting rule (same as the TypeScript loop): start from z_H = z_L = 0, run ACT
steps; stop after a step whose halt_logit > 0, or after max_steps. The answer
is argmax(logits) of the last step run. A puzzle counts as solved only when
the whole grid is right: Sudoku all 81 digits; maze the predicted path cells
are exactly the (unique) shortest path.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def load_test(path, family, hard_min_guesses=0, n=None):
    """-> tokens [M, N] int64, targets [M, N] int64 (numpy)."""
    d = np.load(path)
    if family == "sudoku":
        keep = d["guesses"] >= hard_min_guesses
        tok = d["puzzles"][keep].astype(np.int64)
        tgt = d["solutions"][keep].astype(np.int64) - 1  # class k = digit k+1
    else:
        tok = d["grids"].astype(np.int64)
        tgt = d["labels"].astype(np.int64)
    if n:
        tok, tgt = tok[:n], tgt[:n]
    return tok, tgt


@torch.no_grad()
def act_torch(model, tokens, max_steps, batch=500, stable=False):
    """tokens [M, N] tensor on the model's device -> pred [M, N], steps [M].
    stable: halt only when the answer did not change in that step (the runtime's haltWhenStable)."""
    model.eval()
    preds, steps = [], []
    for i in range(0, tokens.shape[0], batch):
        tok = tokens[i:i + batch]
        B = tok.shape[0]
        z_H, z_L = model.initial_state(B, tok.device)
        done = torch.zeros(B, dtype=torch.bool, device=tok.device)
        pred = torch.zeros_like(tok)
        st = torch.zeros(B, dtype=torch.long, device=tok.device)
        last = None
        for s in range(max_steps):
            z_H, z_L, logits, halt = model(tok, z_H, z_L)
            z_H, z_L = z_H.float(), z_L.float()
            cur = logits.argmax(-1)
            fire = halt > 0
            if stable:
                fire &= (cur == last).all(1) if last is not None else torch.zeros_like(fire)
            last = cur
            stop = ~done & (fire | (s == max_steps - 1))
            pred[stop] = cur[stop]
            st[stop] = s + 1
            done |= stop
            if bool(done.all()):
                break
        preds.append(pred)
        steps.append(st)
    return torch.cat(preds), torch.cat(steps)


def act_onnx(sess, tokens, D, max_steps, stable=False):
    """One puzzle at a time through onnxruntime. -> pred [N], steps, ms."""
    N = tokens.shape[0]
    z_H = np.zeros((1, N, D), np.float32)
    z_L = np.zeros((1, N, D), np.float32)
    tok = tokens[None].astype(np.int64)
    t0 = time.perf_counter()
    last = None
    for s in range(max_steps):
        z_H, z_L, logits, halt = sess.run(None, {"tokens": tok, "z_H": z_H, "z_L": z_L})
        cur = logits[0].argmax(-1)
        if halt[0] > 0 and (not stable or (last is not None and (cur == last).all())):
            break
        last = cur
    ms = (time.perf_counter() - t0) * 1000
    return cur, s + 1, ms


def summarize(correct, steps, ms=None):
    correct = np.asarray(correct, bool)
    steps = np.asarray(steps)
    r = {
        "n": int(correct.size),
        "accuracy": float(correct.mean()),
        "mean_steps": float(steps.mean()),
        "steps_hist": {int(k): int(v) for k, v in zip(*np.unique(steps, return_counts=True))},
    }
    if ms is not None:
        r["median_ms"] = float(np.median(ms))
        r["p95_ms"] = float(np.percentile(ms, 95))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt")
    ap.add_argument("--onnx")
    ap.add_argument("--family", help="needed with --onnx (read from the checkpoint otherwise)")
    ap.add_argument("--d", type=int, help="hidden size, needed with --onnx")
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--test", required=True)
    ap.add_argument("--hard-min-guesses", type=int, default=0)
    ap.add_argument("--n", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--halt-when-stable", action="store_true", help="halt only when the answer stopped changing")
    a = ap.parse_args()
    if a.ckpt:
        from .export import load

        m, _ = load(a.ckpt)
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        m = m.to(dev)
        tok, tgt = load_test(a.test, m.cfg.family, a.hard_min_guesses, a.n)
        pred, steps = act_torch(m, torch.from_numpy(tok).to(dev), a.max_steps or m.cfg.max_steps,
                                stable=a.halt_when_stable)
        correct = (pred.cpu().numpy() == tgt).all(1)
        print(json.dumps(summarize(correct, steps.cpu().numpy())))
    else:
        from .export import session

        sess = session(a.onnx, a.threads)
        tok, tgt = load_test(a.test, a.family, a.hard_min_guesses, a.n)
        res = [act_onnx(sess, t, a.d, a.max_steps, a.halt_when_stable) for t in tok]
        correct = [(r[0] == g).all() for r, g in zip(res, tgt)]
        print(json.dumps(summarize(correct, [r[1] for r in res], [r[2] for r in res])))


if __name__ == "__main__":
    main()
