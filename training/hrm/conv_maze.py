"""Recurrent convolutional two-timescale maze solver (HRM spirit, CPU-trainable).

A test of the hypothesis that LOCAL recurrent rules generalise across wall structures and sizes:
every update is a 3x3 convolution, so the net can only learn something like a wave (BFS) from G,
and more cycles at test time = longer waves.

  input  per cell one-hot {wall, open, S, G, outside}; a maze of any h x w <= 30 x 30 sits at (1, 1)
         of a canvas padded with "outside" (32 x 32 for 30 x 30); no outer wall is assumed.
  state  fast worker z_L and slow planner z_H (C channels each, full resolution).
         one cycle = T worker steps z_L <- f_L(z_L, z_H, x), then z_H <- f_H(z_H, z_L);
         both are gated convex updates (bounded state, so many more cycles than in training stay stable),
         the input x is re-injected at every step ("recall").
  head   per cell 4 logits: "moving up/down/left/right is one step closer to G" (multi-label target:
         the neighbour's BFS distance to G is d - 1).
  decode from S take the highest-scoring legal move until G or (cells) steps; solved only if G is
         reached with exactly the BFS-optimal length. Halting at test time: stop after the first cycle
         whose decoded walk reaches G (a check needing only walls and G), or at a cap.

Training data: ONLY the project's training generators (training/hrm/wide.py's _tree, _segments,
_lattice_rooms kinds, outer ring or not), at sizes h, w in 4..--max-size, S/G drawn as in
wide.maze_wide; the uniqueness filter is dropped because the multi-label target is well defined for
any number of shortest paths. The bench files are read only by `eval`.

  python3 training/hrm/conv_maze.py train --minutes 30 --out .carry/hrm/conv_maze.pt
  python3 training/hrm/conv_maze.py eval  --ckpt .carry/hrm/conv_maze.pt --cap 120 --json training/hrm/results/conv-maze-1.json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from training.hrm.wide import maze_cells  # noqa: E402
from training.hrm.data import WALL  # noqa: E402

# input classes
C_WALL, C_OPEN, C_S, C_G, C_OUT = 0, 1, 2, 3, 4
DIRS = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right


# ----------------------------------------------------------------------------- data

def bfs(open_, src):
    """open_: HxW bool array, src: (r, c) -> int distances, -1 unreachable."""
    h, w = open_.shape
    d = np.full((h, w), -1, np.int32)
    d[src] = 0
    q = deque([src])
    while q:
        r, c = q.popleft()
        for dr, dc in DIRS:
            a, b = r + dr, c + dc
            if 0 <= a < h and 0 <= b < w and open_[a, b] and d[a, b] < 0:
                d[a, b] = d[r, c] + 1
                q.append((a, b))
    return d


def gen_maze(rng: random.Random, max_size: int, min_size: int = 4):
    """One training maze from wide.py's kinds -> (cls[h,w] int, s, g) or None."""
    h, w = rng.randint(min_size, max_size), rng.randint(min_size, max_size)
    cells = maze_cells(rng, h, w)
    grid = np.array([0 if v == WALL else 1 for v in cells], np.int64).reshape(h, w)
    open_cells = list(zip(*np.nonzero(grid)))
    if len(open_cells) < 2:
        return None
    reach = rng.random()
    for _ in range(10):
        s = open_cells[rng.randrange(len(open_cells))]
        ds = bfs(grid == 1, s)
        far = int(ds.max())
        if far < 1:
            continue
        lo, hi = (1, 20) if reach < 0.3 else (20, 60) if reach < 0.55 else (max(1, far * 3 // 4), far)
        goals = list(zip(*np.nonzero((ds >= lo) & (ds <= hi))))
        if not goals:
            continue
        g = goals[rng.randrange(len(goals))]
        return grid, s, g
    return None


def encode(grid, s, g, canvas, off=(1, 1)):
    """-> cls[canvas,canvas] (input classes), dist[canvas,canvas] to G (-1 unreachable / not open)."""
    h, w = grid.shape
    cls = np.full((canvas, canvas), C_OUT, np.int64)
    r0, c0 = off
    cls[r0:r0 + h, c0:c0 + w] = np.where(grid == 1, C_OPEN, C_WALL)
    cls[r0 + s[0], c0 + s[1]] = C_S
    cls[r0 + g[0], c0 + g[1]] = C_G
    d = np.full((canvas, canvas), -1, np.int32)
    d[r0:r0 + h, c0:c0 + w] = bfs(grid == 1, g)
    return cls, d


def targets(dist):
    """dist [B,H,W] -> (target [B,4,H,W] float, mask [B,H,W] bool: reachable open cells other than G)."""
    B, H, W = dist.shape
    pad = np.full((B, H + 2, W + 2), -1, np.int32)
    pad[:, 1:-1, 1:-1] = dist
    tg = np.zeros((B, 4, H, W), np.float32)
    for k, (dr, dc) in enumerate(DIRS):
        nb = pad[:, 1 + dr:1 + dr + H, 1 + dc:1 + dc + W]
        tg[:, k] = ((nb >= 0) & (nb == dist - 1) & (dist > 0)).astype(np.float32)
    return tg, dist > 0


def batch(rng, n, max_size, canvas):
    cls, dist = [], []
    while len(cls) < n:
        m = gen_maze(rng, max_size)
        if m is None:
            continue
        grid, s, g = m
        h, w = grid.shape
        off = (rng.randint(0, canvas - h), rng.randint(0, canvas - w))
        a, b = encode(grid, s, g, canvas, off)
        cls.append(a)
        dist.append(b)
    cls, dist = np.stack(cls), np.stack(dist)
    tg, mask = targets(dist)
    return torch.from_numpy(cls), torch.from_numpy(tg), torch.from_numpy(mask)


def parse_file(path):
    """Bench maze text: mazes separated by blank lines; '#' wall, '.' or ' ' open, S, G."""
    out, cur = [], []
    for line in open(path).read().split("\n") + [""]:
        if line.strip() == "":
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(line)
    mazes = []
    for rows in out:
        h, w = len(rows), max(len(r) for r in rows)
        grid = np.zeros((h, w), np.int64)
        for r, line in enumerate(rows):
            for c, ch in enumerate(line.ljust(w)):
                if ch != "#":
                    grid[r, c] = 1
                if ch == "S":
                    s = (r, c)
                if ch == "G":
                    g = (r, c)
        mazes.append((grid, s, g))
    return mazes


# ----------------------------------------------------------------------------- model

class Gated(nn.Module):
    """z <- z + u * (tanh(cand) - z), cand/u from conv3x3 -> relu -> conv3x3 of cat(inputs)."""

    def __init__(self, cin, c):
        super().__init__()
        self.c1 = nn.Conv2d(cin, c, 3, padding=1)
        self.c2 = nn.Conv2d(c, 2 * c, 3, padding=1)

    def forward(self, z, *inputs):
        h = F.relu(self.c1(torch.cat((z,) + inputs, 1)))
        cand, u = self.c2(h).chunk(2, 1)
        u = torch.sigmoid(u)
        return z + u * (torch.tanh(cand) - z)


class ConvHRM(nn.Module):
    def __init__(self, c=24, t=3):
        super().__init__()
        self.c, self.t = c, t
        self.f_l = Gated(2 * c + 5, c)
        self.f_h = Gated(2 * c + 5, c)
        self.head = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 4, 1))

    def init_state(self, x):
        B, _, H, W = x.shape
        z = x.new_zeros(B, self.c, H, W)
        return z, z.clone()

    def cycle(self, x, zl, zh):
        for _ in range(self.t):
            zl = self.f_l(zl, zh, x)
        zh = self.f_h(zh, zl, x)
        return zl, zh

    def out(self, zl, zh):
        return self.head(torch.cat([zl, zh], 1))


def onehot(cls):
    return F.one_hot(cls, 5).permute(0, 3, 1, 2).float()


# ----------------------------------------------------------------------------- decode

def decode(logits, cls):
    """logits [4,H,W] np, cls [H,W] np -> (reached G, steps). Greedy walk, no search; a revisit = fail."""
    H, W = cls.shape
    (sr,), (sc,) = np.nonzero(cls == C_S)
    r, c = int(sr), int(sc)
    seen = {(r, c)}
    limit = int((cls != C_OUT).sum())
    for step in range(1, limit + 1):
        best, bk = None, -1
        for k, (dr, dc) in enumerate(DIRS):
            a, b = r + dr, c + dc
            if 0 <= a < H and 0 <= b < W and cls[a, b] in (C_OPEN, C_S, C_G):
                if best is None or logits[k, r, c] > best:
                    best, bk = logits[k, r, c], k
        if bk < 0:
            return False, step
        r, c = r + DIRS[bk][0], c + DIRS[bk][1]
        if cls[r, c] == C_G:
            return True, step
        if (r, c) in seen:
            return False, step
        seen.add((r, c))
    return False, limit


# ----------------------------------------------------------------------------- train

def train(a):
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    model = ConvHRM(a.channels, a.t)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params {nparam}", flush=True)
    # held-out slice of our own generator (a different seed) for choosing settings
    vrng = random.Random(12345)
    val = [gen_maze(vrng, a.max_size) for _ in range(300)]
    val = [m for m in val if m is not None][:100]
    t0, step, hist = time.time(), 0, []
    cpu0 = time.process_time()
    while time.time() - t0 < a.minutes * 60:
        frac = (time.time() - t0) / (a.minutes * 60)
        lr = a.lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * frac)))
        for gp in opt.param_groups:
            gp["lr"] = lr
        cls, tg, mask = batch(rng, a.batch, a.max_size, a.max_size + 2)
        x = onehot(cls)
        zl, zh = model.init_state(x)
        # progressive-loss style: n cycles without gradient, then k cycles with deep supervision
        n = rng.randint(0, a.max_cycles - a.k)
        with torch.no_grad():
            for _ in range(n):
                zl, zh = model.cycle(x, zl, zh)
        loss = 0.0
        m = mask.unsqueeze(1).float()
        for _ in range(a.k):
            zl, zh = model.cycle(x, zl, zh)
            lg = model.out(zl, zh)
            l = F.binary_cross_entropy_with_logits(lg, tg, reduction="none")
            loss = loss + (l * m).sum() / (m.sum() * 4 + 1e-6)
        loss = loss / a.k
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        hist.append(loss.item())
        if step % 50 == 0:
            print(f"step {step} t {time.time()-t0:.0f}s lr {lr:.2e} loss {np.mean(hist[-50:]):.4f} n {n}", flush=True)
        if step % 150 == 0:
            acc, cyc = evaluate(model, val, a.max_size + 2, cap=a.max_cycles * 2)[:2]
            print(f"  val(own generator, n={len(val)}) acc {acc:.3f} cycles {cyc:.1f}", flush=True)
            torch.save({"model": model.state_dict(), "args": vars(a)}, a.out)
    acc, cyc = evaluate(model, val, a.max_size + 2, cap=a.max_cycles * 2)[:2]
    print(f"final val acc {acc:.3f} cycles {cyc:.1f} steps {step}", flush=True)
    torch.save({"model": model.state_dict(), "args": vars(a), "steps": step, "val_acc": acc,
                "params": nparam, "cpu_minutes": (time.process_time() - cpu0) / 60,
                "wall_minutes": (time.time() - t0) / 60, "cmd": " ".join(sys.argv)}, a.out)


# ----------------------------------------------------------------------------- eval

@torch.no_grad()
def evaluate(model, mazes, canvas, cap=100, bs=40, check_every=1, patience=1):
    """Batched, per-maze adaptive halting (finished mazes leave the batch): halt once the greedy walk has
    reached G with the same length on `patience` consecutive cycles (no ground truth used).
    -> (accuracy, mean cycles used, ms per maze, per-maze list)"""
    model.eval()
    solved, used = [], []
    t0 = time.time()
    for i in range(0, len(mazes), bs):
        chunk = mazes[i:i + bs]
        encs = [encode(g, s, gg, canvas) for g, s, gg in chunk]
        cls = torch.from_numpy(np.stack([e[0] for e in encs]))
        opt_len = [int(e[1][e[0] == C_S][0]) for e in encs]
        x = onehot(cls)
        zl, zh = model.init_state(x)
        active = list(range(len(chunk)))
        res = [(False, cap)] * len(chunk)
        streak = [(0, -1)] * len(chunk)  # (consecutive reaching checks, walk length)
        for cyc in range(1, cap + 1):
            zl, zh = model.cycle(x, zl, zh)
            if cyc % check_every and cyc != cap:
                continue
            lg = model.out(zl, zh).numpy()
            keep = []
            for j, idx in enumerate(active):
                ok, steps = decode(lg[j], encs[idx][0])
                n_ok, last = streak[idx]
                streak[idx] = (n_ok + 1 if ok and steps == last else 1 if ok else 0, steps)
                # recorded at every check, so a maze still running at the cap keeps its last walk
                res[idx] = (ok and steps == opt_len[idx], cyc)
                if not (ok and streak[idx][0] >= patience):  # halt: valid S->G walk, stable `patience` checks
                    keep.append(j)
            if not keep:
                break
            kt = torch.tensor(keep)
            x, zl, zh = x[kt], zl[kt], zh[kt]
            active = [active[j] for j in keep]
        solved += [r[0] for r in res]
        used += [r[1] for r in res]
    ms = (time.time() - t0) * 1000 / max(1, len(mazes))
    model.train()
    return float(np.mean(solved)), float(np.mean(used)), ms, list(zip(solved, used))


def run_eval(a):
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt)
    ar = ck["args"]
    model = ConvHRM(ar["channels"], ar["t"])
    model.load_state_dict(ck["model"])
    files = a.files or sorted(
        [f"bench/data/{f}" for f in os.listdir("bench/data") if f.startswith("ood-maze-")]) + ["bench/data/maze-heldout.txt"]
    rows = []
    print(f"{'file':45s} {'n':>4s} {'acc':>6s} {'cycles':>7s} {'ms/maze':>8s}")
    for f in files:
        mazes = parse_file(f)[: a.n]
        acc, cyc, ms, _ = evaluate(model, mazes, 32, cap=a.cap, patience=a.patience)
        rows.append({"file": f, "n": len(mazes), "accuracy": acc, "mean_cycles": cyc, "ms_per_maze": ms})
        print(f"{f:45s} {len(mazes):4d} {acc:6.3f} {cyc:7.1f} {ms:8.1f}", flush=True)
    if a.json:
        res = {"model": "ConvHRM (recurrent conv, two-timescale)", "channels": ar["channels"], "t": ar["t"],
               "params": sum(p.numel() for p in model.parameters()), "train_command": ck.get("cmd"),
               "train_cpu_minutes": ck.get("cpu_minutes"), "train_wall_minutes": ck.get("wall_minutes"),
               "train_steps": ck.get("steps"), "own_val_acc": ck.get("val_acc"), "train_args": ar,
               "eval": {"cap_cycles": a.cap, "patience": a.patience, "threads": 2, "batch": 40, "halting": "first cycle at which the greedy walk has reached G with the same length on `patience` consecutive cycles",
                        "solved": "walk reaches G with BFS-optimal length"},
               "eval_command": " ".join(sys.argv), "results": rows,
               "note": "bench files never used for training or tuning"}
        os.makedirs(os.path.dirname(a.json), exist_ok=True)
        json.dump(res, open(a.json, "w"), indent=1)


class _Cycles(nn.Module):
    """ONNX wrapper: `n` cycles (fixed) from (x, z_L, z_H) -> (z_L, z_H, logits)."""

    def __init__(self, model, n):
        super().__init__()
        self.m, self.n = model, n

    def forward(self, x, zl, zh):
        for _ in range(self.n):
            zl, zh = self.m.cycle(x, zl, zh)
        return zl, zh, self.m.out(zl, zh)


@torch.no_grad()
def run_export(a):
    """One (or --cycles) cycle(s) to ONNX opset 17, plus a reference JSON (input, torch logits after
    --ref-cycles cycles, decode result) for the node timing/parity script."""
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt)
    model = ConvHRM(ck["args"]["channels"], ck["args"]["t"])
    model.load_state_dict(ck["model"])
    model.eval()
    w = _Cycles(model, a.cycles)
    x = torch.zeros(1, 5, 32, 32)
    z = torch.zeros(1, model.c, 32, 32)
    torch.onnx.export(w, (x, z, z), a.onnx, opset_version=17, input_names=["x", "zl", "zh"],
                      output_names=["zl_out", "zh_out", "logits"])
    grid, s, g = parse_file(a.maze_file)[a.index]
    cls, dist = encode(grid, s, g, 32)
    x = onehot(torch.from_numpy(cls)[None])
    zl, zh = model.init_state(x)
    used = None
    for cyc in range(1, a.ref_cycles + 1):
        zl, zh = model.cycle(x, zl, zh)
        lg = model.out(zl, zh)
        ok, steps = decode(lg[0].numpy(), cls)
        if ok and used is None:
            used = (cyc, steps == int(dist[cls == C_S][0]))
    json.dump({"cls": cls.flatten().tolist(), "c": model.c, "cycles_per_call": a.cycles,
               "ref_cycles": a.ref_cycles, "logits": lg[0].flatten().tolist(), "halt": used,
               "opt_len": int(dist[cls == C_S][0])}, open(a.ref, "w"))
    print("exported", a.onnx, "ref", a.ref, "halt(cycle, optimal)", used)


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    t = sp.add_parser("train")
    t.add_argument("--minutes", type=float, default=30)
    t.add_argument("--out", default=".carry/hrm/conv_maze.pt")
    t.add_argument("--channels", type=int, default=24)
    t.add_argument("--t", type=int, default=3)
    t.add_argument("--max-size", type=int, default=16)
    t.add_argument("--max-cycles", type=int, default=16)
    t.add_argument("--k", type=int, default=4)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=1)
    e = sp.add_parser("eval")
    e.add_argument("--ckpt", default=".carry/hrm/conv_maze.pt")
    e.add_argument("--cap", type=int, default=120)
    e.add_argument("--n", type=int, default=200)
    e.add_argument("--files", nargs="*")
    e.add_argument("--json")
    e.add_argument("--patience", type=int, default=1)
    x = sp.add_parser("export")
    x.add_argument("--ckpt", default=".carry/hrm/conv_maze.pt")
    x.add_argument("--onnx", default=".carry/hrm/conv_maze.onnx")
    x.add_argument("--cycles", type=int, default=1)
    x.add_argument("--ref", default=".scratch/conv_maze_ref.json")
    x.add_argument("--ref-cycles", type=int, default=40)
    x.add_argument("--maze-file", default="bench/data/ood-maze-random-walls.txt")
    x.add_argument("--index", type=int, default=0)
    a = p.parse_args()
    {"train": train, "eval": run_eval, "export": run_export}[a.cmd](a)


if __name__ == "__main__":
    main()
