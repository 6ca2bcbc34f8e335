"""Recurrent convolutional two-timescale maze solver (HRM spirit, CPU-trainable, GPU-trainable).

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
         reached with exactly the BFS-optimal length. Halting at test time: stop once the decoded walk
         reaches G with the same length on `patience` cycles running (a check needing only walls and G),
         or at a cap; eval's defaults (cap 100, patience 2) are the server's (manifest maxCycles,
         haltRepeats).

Training data: ONLY the project's training generators (training/hrm/wide.py's _tree, _segments,
_lattice_rooms kinds, outer ring or not), at sizes h, w in 4..--max-size, S/G drawn as in
wide.maze_wide (plus, with probability --far, a far-apart pair: S = the farthest cell from a random
one, G in the farthest quarter from S); the uniqueness filter is dropped because the multi-label target
is well defined for any number of shortest paths. --large-frac of every batch is drawn at sizes
--large-min..--max-size. The bench files are read only by `eval` and `export` (its reference maze).

Training: progressive loss (n ungraded cycles without gradient, then --k graded cycles with deep
supervision, i.e. truncated backprop through the last k cycles); n is uniform in 0..(max - k), and the
max grows linearly from --start-cycles to --max-cycles over the first --ramp of the time budget, so
that late in training a wave has the cycles to cross a 30 x 30 maze. Batches are made by --workers
processes (a torch IterableDataset, one seed each); the model runs on --device. LR: warm-up, then
cosine by elapsed time; the checkpoint is written atomically every --save-every minutes and at the end
(plus <out>-best.pt, the best on a held-out slice of our own generator at sizes 24..30).

  # CPU, as shipped in session 17
  python3 training/hrm/conv_maze.py train --minutes 40 --max-size 14 --max-cycles 12 --start-cycles 12 --k 3 \
      --large-frac 0 --far 0 --device cpu --workers 0 --out .carry/hrm/conv_maze.pt
  # GPU box, continuing from the shipped graph (see training/hrm/README.md)
  python3 training/hrm/conv_maze.py train --minutes 16 --init models/hrm-maze-conv.onnx --device cuda \
      --workers 4 --threads 2 --batch 128 --max-cycles 80 --k 6 --out training/runs/maze/conv_maze.pt
  python3 training/hrm/conv_maze.py eval  --ckpt .carry/hrm/conv_maze.pt --json training/hrm/results/conv-maze-1.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from training.hrm.wide import _bfs, maze_cells  # noqa: E402
from training.hrm.data import OPEN, WALL  # noqa: E402

# input classes
C_WALL, C_OPEN, C_S, C_G, C_OUT = 0, 1, 2, 3, 4
DIRS = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right
CANVAS = 32  # the server's canvas (manifest mazeConv.canvas): a 30 x 30 maze at (1, 1) plus a ring of outside


# ----------------------------------------------------------------------------- data

def bfs(open_, src):
    """open_: HxW bool array, src: (r, c) -> int distances, -1 unreachable (wide.py's BFS on the flat grid)."""
    h, w = open_.shape
    cells = [OPEN if v else WALL for v in open_.ravel().tolist()]
    return np.array(_bfs(cells, h, w, int(src[0]) * w + int(src[1])), np.int32).reshape(h, w)


def _pick(rng, cells):
    """cells: tuple of index arrays from np.nonzero -> one (r, c)."""
    k = rng.randrange(len(cells[0]))
    return int(cells[0][k]), int(cells[1][k])


def gen_maze(rng: random.Random, max_size: int, min_size: int = 4, far: float = 0.0):
    """One training maze from wide.py's kinds -> (grid[h,w] int 1 = open, s, g) or None.
    S/G as wide.maze_wide draws them (G at BFS distance 1-20, 20-60 or in the farthest quarter from a
    random S); with probability `far` instead a far-apart pair (S = the farthest cell from a random
    cell, G in the farthest quarter from S), so that long paths are common in large mazes."""
    h, w = rng.randint(min_size, max_size), rng.randint(min_size, max_size)
    cells = maze_cells(rng, h, w)
    grid = np.array([0 if v == WALL else 1 for v in cells], np.int64).reshape(h, w)
    open_cells = np.nonzero(grid)
    if len(open_cells[0]) < 2:
        return None
    reach = rng.random()
    sweep = rng.random() < far
    for _ in range(10):
        s = _pick(rng, open_cells)
        ds = bfs(grid == 1, s)
        if sweep:  # double sweep: restart from the farthest cell of s's component
            s = _pick(rng, np.nonzero(ds == ds.max()))
            ds = bfs(grid == 1, s)
        far_d = int(ds.max())
        if far_d < 1:
            continue
        if sweep or reach >= 0.55:
            lo, hi = max(1, far_d * 3 // 4), far_d
        else:
            lo, hi = (1, 20) if reach < 0.3 else (20, 60)
        goals = np.nonzero((ds >= lo) & (ds <= hi))
        if not len(goals[0]):
            continue
        return grid, s, _pick(rng, goals)
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


def draw_maze(rng, a):
    """One maze of the training mix: --large-frac at sizes --large-min..--max-size, the rest 4..--max-size."""
    while True:
        large = rng.random() < a.large_frac
        m = gen_maze(rng, a.max_size, min(a.large_min, a.max_size) if large else 4, a.far)
        if m is not None:
            return m


def batch(rng, a, canvas):
    """a.batch mazes at random offsets of the canvas -> (cls [B,H,W] int64, target [B,4,H,W], mask [B,H,W])."""
    cls, dist = [], []
    for _ in range(a.batch):
        grid, s, g = draw_maze(rng, a)
        h, w = grid.shape
        off = (rng.randint(0, canvas - h), rng.randint(0, canvas - w))
        c, d = encode(grid, s, g, canvas, off)
        cls.append(c)
        dist.append(d)
    cls, dist = np.stack(cls), np.stack(dist)
    tg, mask = targets(dist)
    return torch.from_numpy(cls), torch.from_numpy(tg), torch.from_numpy(mask)


class MazeBatches(torch.utils.data.IterableDataset):
    """Endless training batches; each DataLoader worker draws from its own seed (seed, worker id)."""

    def __init__(self, a, canvas):
        super().__init__()
        self.a, self.canvas = a, canvas

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        torch.set_num_threads(1)
        rng = random.Random(self.a.seed * 1000 + wid)
        while True:
            yield batch(rng, self.a, self.canvas)


def batch_stream(a, canvas, device):
    """An iterator of batches made by a.workers processes (0: in this process)."""
    more = {"prefetch_factor": 4, "persistent_workers": True} if a.workers else {}
    loader = torch.utils.data.DataLoader(MazeBatches(a, canvas), batch_size=None, num_workers=a.workers,
                                         pin_memory=device.type == "cuda", **more)
    return iter(loader)


def own_val(n, min_size, max_size, seed=12345):
    """A held-out slice of OUR generator (its own seed, far-apart pairs) for choosing settings."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        m = gen_maze(rng, max_size, min_size, far=1.0)
        if m is not None:
            out.append(m)
    return out


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


# ----------------------------------------------------------------------------- checkpoints

def onnx_initializers(path):
    """name -> float32 array for every float initializer of an ONNX file."""
    import onnx  # only here: training and eval from a .pt need no onnx package
    from onnx import numpy_helper
    graph = onnx.load(path).graph
    return {t.name: numpy_helper.to_array(t).astype(np.float32)
            for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT}


def load_init(path):
    """Weights to start from: a checkpoint of this script (.pt) or an exported graph (.onnx, whose
    initializers are the wrapper _Cycles's `m.<parameter>`) -> (state dict, its args or None)."""
    if path.endswith(".onnx"):
        inits = onnx_initializers(path)
        state = {k[2:]: torch.from_numpy(v.copy()) for k, v in inits.items() if k.startswith("m.")}
        return state, None
    ck = torch.load(path, map_location="cpu")
    return ck["model"], ck.get("args")


def save_atomic(payload, path):
    """torch.save to a temporary file, then rename: a reader never sees half a checkpoint."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


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

def pick_device(name):
    return torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))


def max_cycles_now(a, frac):
    """The cycle budget of a step at this fraction of the time: --start-cycles -> --max-cycles over --ramp."""
    if a.ramp <= 0 or frac >= a.ramp:
        return a.max_cycles
    return int(round(a.start_cycles + (a.max_cycles - a.start_cycles) * frac / a.ramp))


def lr_now(a, step, frac):
    """Linear warm-up over --warmup steps, then cosine by elapsed time down to 0.1 x --lr."""
    return a.lr * min(1.0, (step + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def train_step(model, opt, x, tg, mask, n, k):
    """Progressive loss: n cycles without gradient, then k cycles with deep supervision (mean of the
    k per-cycle losses; gradient only through those k cycles). -> loss (a detached tensor, no sync)."""
    zl, zh = model.init_state(x)
    with torch.no_grad():
        for _ in range(n):
            zl, zh = model.cycle(x, zl, zh)
    m = mask.unsqueeze(1).float()
    denom = m.sum() * 4 + 1e-6
    loss = 0.0
    for _ in range(k):
        zl, zh = model.cycle(x, zl, zh)
        lg = model.out(zl, zh)
        loss = loss + (F.binary_cross_entropy_with_logits(lg, tg, reduction="none") * m).sum() / denom
    loss = loss / k
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.detach()


def validate(model, val, canvas, a, device):
    """Own held-out slice (sizes 24..max, far pairs), halting as the server does -> (acc, acc on paths
    >= 60 steps, mean cycles)."""
    acc, cyc, _, per = evaluate(model, val["mazes"], canvas, cap=a.val_cap, patience=a.val_patience,
                                bs=64, device=device)
    long_ = [ok for (ok, _), n in zip(per, val["lens"]) if n >= 60]
    return acc, (float(np.mean(long_)) if long_ else float("nan")), cyc


def train(a):
    device = pick_device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest conv kernels
    rng = random.Random(a.seed)  # ungraded-cycle counts (the batches have their own seeds, per worker)
    if a.max_size > CANVAS - 2:
        raise SystemExit(f"--max-size {a.max_size}: the server's canvas ({CANVAS}) holds mazes up to {CANVAS - 2}")
    canvas = a.max_size + 2
    model = ConvHRM(a.channels, a.t)
    if a.init:
        state, init_args = load_init(a.init)
        if init_args and (init_args["channels"], init_args["t"]) != (a.channels, a.t):
            raise SystemExit(f"--init {a.init} has channels {init_args['channels']}, t {init_args['t']}")
        model.load_state_dict(state)
    stream = batch_stream(a, canvas, device)  # workers fork before CUDA is initialised in this process
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params {nparam} device {device} canvas {canvas} init {a.init or '-'}", flush=True)
    vm = own_val(a.val_n, min(24, a.max_size), a.max_size)
    val = {"mazes": vm, "lens": [int(bfs(g == 1, s)[gg]) for g, s, gg in vm]}
    root, ext = os.path.splitext(a.out)
    best_path, best = root + "-best" + ext, -1.0
    t0, cpu0, step, mazes = time.time(), time.process_time(), 0, 0
    last_log = last_save = t0
    loss_sum, loss_n, wait, log_mazes = torch.zeros((), device=device), 0, 0.0, 0

    def payload(acc, long_acc):
        return {"model": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "args": vars(a),
                "steps": step, "mazes": mazes, "val_acc": acc, "val_long_acc": long_acc, "params": nparam,
                "cpu_minutes": (time.process_time() - cpu0) / 60, "wall_minutes": (time.time() - t0) / 60,
                "cmd": " ".join(sys.argv)}

    def checkpoint(final=False):
        nonlocal best
        acc, long_acc, cyc = validate(model, val, canvas, a, device) if val["mazes"] else (float("nan"),) * 3
        print(f"  {'final ' if final else ''}val(own generator {min(24, a.max_size)}..{a.max_size}, far pairs, n={len(vm)}, cap "
              f"{a.val_cap}) acc {acc:.3f} paths>=60 {long_acc:.3f} cycles {cyc:.1f}", flush=True)
        save_atomic(payload(acc, long_acc), a.out)
        if acc > best:
            best = acc
            save_atomic(payload(acc, long_acc), best_path)

    while time.time() - t0 < a.minutes * 60:
        frac = (time.time() - t0) / (a.minutes * 60)
        lr = lr_now(a, step, frac)
        for gp in opt.param_groups:
            gp["lr"] = lr
        tw = time.time()
        cls, tg, mask = next(stream)
        wait += time.time() - tw
        cls, tg, mask = (v.to(device, non_blocking=True) for v in (cls, tg, mask))
        cmax = max_cycles_now(a, frac)
        n = rng.randint(0, max(0, cmax - a.k))
        loss_sum += train_step(model, opt, onehot(cls), tg, mask, n, a.k)
        step, loss_n, mazes, log_mazes = step + 1, loss_n + 1, mazes + len(cls), log_mazes + len(cls)
        now = time.time()
        if now - last_log >= a.log_every:
            print(f"step {step} t {now - t0:.0f}s lr {lr:.2e} loss {loss_sum.item() / loss_n:.4f} "
                  f"mazes/s {log_mazes / (now - last_log):.0f} data-wait {100 * wait / (now - last_log):.0f}% "
                  f"max-cycles {cmax}", flush=True)
            last_log, loss_sum, loss_n, wait, log_mazes = now, torch.zeros((), device=device), 0, 0.0, 0
        if now - last_save >= a.save_every * 60:
            checkpoint()
            last_save = time.time()
    checkpoint(final=True)
    print(f"done: {step} steps, {mazes} mazes, {(time.time() - t0) / 60:.1f} min; {a.out}, best {best_path}",
          flush=True)


# ----------------------------------------------------------------------------- eval

@torch.no_grad()
def evaluate(model, mazes, canvas, cap=100, bs=40, check_every=1, patience=2, device=None):
    """Batched, per-maze adaptive halting (finished mazes leave the batch): halt once the greedy walk has
    reached G with the same length on `patience` consecutive cycles (no ground truth used).
    -> (accuracy, mean cycles used, ms per maze, per-maze list)"""
    device = device or next(model.parameters()).device
    model.eval()
    solved, used = [], []
    t0 = time.time()
    for i in range(0, len(mazes), bs):
        chunk = mazes[i:i + bs]
        encs = [encode(g, s, gg, canvas) for g, s, gg in chunk]
        cls = torch.from_numpy(np.stack([e[0] for e in encs]))
        opt_len = [int(e[1][e[0] == C_S][0]) for e in encs]
        x = onehot(cls).to(device)
        zl, zh = model.init_state(x)
        active = list(range(len(chunk)))
        res = [(False, cap)] * len(chunk)
        streak = [(0, -1)] * len(chunk)  # (consecutive reaching checks, walk length)
        for cyc in range(1, cap + 1):
            zl, zh = model.cycle(x, zl, zh)
            if cyc % check_every and cyc != cap:
                continue
            lg = model.out(zl, zh).cpu().numpy()
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
            kt = torch.tensor(keep, device=device)
            x, zl, zh = x[kt], zl[kt], zh[kt]
            active = [active[j] for j in keep]
        solved += [r[0] for r in res]
        used += [r[1] for r in res]
    ms = (time.time() - t0) * 1000 / max(1, len(mazes))
    model.train()
    return float(np.mean(solved)), float(np.mean(used)), ms, list(zip(solved, used))


def load_model(path, device):
    ck = torch.load(path, map_location="cpu")
    model = ConvHRM(ck["args"]["channels"], ck["args"]["t"])
    model.load_state_dict(ck["model"])
    return model.to(device), ck


def run_eval(a):
    torch.set_num_threads(a.threads)
    device = pick_device(a.device)
    model, ck = load_model(a.ckpt, device)
    ar = ck["args"]
    files = a.files or sorted(
        [f"bench/data/{f}" for f in os.listdir("bench/data") if f.startswith("ood-maze-")]) + ["bench/data/maze-heldout.txt"]
    rows = []
    print(f"{'file':45s} {'n':>4s} {'acc':>6s} {'cycles':>7s} {'ms/maze':>8s}")
    for f in files:
        mazes = parse_file(f)[: a.n]
        acc, cyc, ms, _ = evaluate(model, mazes, CANVAS, cap=a.cap, patience=a.patience, bs=a.bs, device=device)
        rows.append({"file": f, "n": len(mazes), "accuracy": acc, "mean_cycles": cyc, "ms_per_maze": ms})
        print(f"{f:45s} {len(mazes):4d} {acc:6.3f} {cyc:7.1f} {ms:8.1f}", flush=True)
    if a.json:
        res = {"model": "ConvHRM (recurrent conv, two-timescale)", "channels": ar["channels"], "t": ar["t"],
               "params": sum(p.numel() for p in model.parameters()), "train_command": ck.get("cmd"),
               "train_cpu_minutes": ck.get("cpu_minutes"), "train_wall_minutes": ck.get("wall_minutes"),
               "train_steps": ck.get("steps"), "own_val_acc": ck.get("val_acc"), "train_args": ar,
               "eval": {"cap_cycles": a.cap, "patience": a.patience, "threads": a.threads, "batch": a.bs,
                        "device": str(device),
                        "halting": "first cycle at which the greedy walk has reached G with the same length on `patience` consecutive cycles",
                        "solved": "walk reaches G with BFS-optimal length"},
               "eval_command": " ".join(sys.argv), "results": rows,
               "note": "bench files never used for training or tuning"}
        os.makedirs(os.path.dirname(a.json) or ".", exist_ok=True)
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
    """One (or --cycles) cycle(s) to ONNX opset 17 on the server's 32 x 32 canvas (inputs x [1,5,32,32],
    zl, zh [1,C,32,32]; outputs zl_out, zh_out, logits [1,4,32,32]), plus a reference JSON (input,
    torch logits after --ref-cycles cycles, decode result) for the node timing/parity script."""
    torch.set_num_threads(2)
    model, _ = load_model(a.ckpt, torch.device("cpu"))
    model.eval()
    w = _Cycles(model, a.cycles)
    x = torch.zeros(1, 5, CANVAS, CANVAS)
    z = torch.zeros(1, model.c, CANVAS, CANVAS)
    torch.onnx.export(w, (x, z, z), a.onnx, opset_version=17, input_names=["x", "zl", "zh"],
                      output_names=["zl_out", "zh_out", "logits"])
    grid, s, g = parse_file(a.maze_file)[a.index]
    cls, dist = encode(grid, s, g, CANVAS)
    x = onehot(torch.from_numpy(cls)[None])
    zl, zh = model.init_state(x)
    used = None
    for cyc in range(1, a.ref_cycles + 1):
        zl, zh = model.cycle(x, zl, zh)
        lg = model.out(zl, zh)
        ok, steps = decode(lg[0].numpy(), cls)
        if ok and used is None:
            used = (cyc, steps == int(dist[cls == C_S][0]))
    os.makedirs(os.path.dirname(a.ref) or ".", exist_ok=True)
    json.dump({"cls": cls.flatten().tolist(), "c": model.c, "cycles_per_call": a.cycles,
               "ref_cycles": a.ref_cycles, "logits": lg[0].flatten().tolist(), "halt": used,
               "opt_len": int(dist[cls == C_S][0])}, open(a.ref, "w"))
    print("exported", a.onnx, "ref", a.ref, "halt(cycle, optimal)", used)


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    t = sp.add_parser("train")
    t.add_argument("--minutes", type=float, default=30, help="time budget; the LR is cosine in elapsed time")
    t.add_argument("--out", default=".carry/hrm/conv_maze.pt")
    t.add_argument("--init", help="start from a checkpoint (.pt) or an exported graph (.onnx)")
    t.add_argument("--device", help="cuda or cpu (default: cuda if available)")
    t.add_argument("--workers", type=int, default=2, help="batch-making processes (0: the training process)")
    t.add_argument("--threads", type=int, default=2, help="torch CPU threads of the training process")
    t.add_argument("--channels", type=int, default=24)
    t.add_argument("--t", type=int, default=3)
    t.add_argument("--max-size", type=int, default=30)
    t.add_argument("--large-min", type=int, default=24, help="the smallest side of a 'large' maze")
    t.add_argument("--large-frac", type=float, default=0.5, help="share of each batch at --large-min..--max-size")
    t.add_argument("--far", type=float, default=0.5, help="probability of a far-apart S/G pair (double sweep)")
    t.add_argument("--max-cycles", type=int, default=80, help="n + k at most, once the ramp is over")
    t.add_argument("--start-cycles", type=int, default=16, help="n + k at most at the start")
    t.add_argument("--ramp", type=float, default=0.3, help="share of the time over which the max cycles grow")
    t.add_argument("--k", type=int, default=6, help="graded cycles (gradient through the last k)")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--warmup", type=int, default=100)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--log-every", type=float, default=30, help="seconds between progress lines")
    t.add_argument("--save-every", type=float, default=2, help="minutes between checkpoints (+ own validation)")
    t.add_argument("--val-n", type=int, default=64)
    t.add_argument("--val-cap", type=int, default=100)
    t.add_argument("--val-patience", type=int, default=2)
    e = sp.add_parser("eval")
    e.add_argument("--ckpt", default=".carry/hrm/conv_maze.pt")
    e.add_argument("--cap", type=int, default=100, help="cycle cap (the server's manifest maxCycles)")
    e.add_argument("--patience", type=int, default=2, help="halting repeats (the server's haltRepeats)")
    e.add_argument("--n", type=int, default=200)
    e.add_argument("--bs", type=int, default=40)
    e.add_argument("--device", default="cpu")
    e.add_argument("--threads", type=int, default=2)
    e.add_argument("--files", nargs="*")
    e.add_argument("--json")
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
