#!/usr/bin/env python3
"""Evolve the NAMM scorer with CMA-ES against the shipped completion model (one command, CPU or GPU box):

  node --import tsx training/namm/examples.ts RUN/train.jsonl --count 48 --context 1024
  python3 training/namm/evolve.py --examples RUN/train.jsonl --out models/memory-scorer.json \
      [--graph models/completion-denoise.int8.onnx] [--generations 40] [--population 16] [--sigma 0.5]

The completion model is rebuilt in PyTorch from the shipped int8 graph (training/completion/from_onnx.py), so a
new completion model gets its memory from the same command. Examples come from training-split files only
(examples.ts).

Per example, once (the cache; none of it depends on the scorer): the context is encoded the server's way (chunks
of 64, up to 4 per call: server/src/completion/diffusion.ts) with the encode module of training/completion/export.py;
its `attention_received` gives every token's features after each call (namm.Features); the full memory's span
log-likelihood is the reference.
Per candidate and example: after each call the scorer scores the tokens still kept plus the new ones and the keep
rules evict (namm.keep), as the server does; then the canvas (the true span and <eos>, every slot masked) attends to
the kept K/V with positions closed up (server/src/memory/positions.ts: kept tokens renumbered in order, keys
re-rotated) and we read the mean log-probability of the true tokens.
Approximation: the features and K/V come from the unpruned encoding (the server's later chunks attend to the
pruned memory); bench/memory.ts measures the real thing.

Fitness (maximized) = mean over examples of exp(LL_pruned - LL_full) (quality normalized to the full memory)
  - price * kept fraction - guard * max(0, floor - normalized quality)
The guard stops the known collapse (evict everything, pay no price). Start: keep everything (namm.keep_everything).
CMA-ES: separable (diagonal covariance; Ros & Hansen 2008), written here with numpy.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "completion"))
import namm as N  # noqa: E402
from export import Encode, Denoise, kv_names  # noqa: E402
from from_onnx import weights_from_graph  # noqa: E402
from model import Transformer, EOS, MASK  # noqa: E402

CHUNK, PER_CALL, GAP = 64, 4, 64
BUCKETS = (8, 16, 32, 64)


def load_model(graph: Path) -> Transformer:
    cfg, sd = weights_from_graph(graph)
    m = Transformer(cfg)
    m.load_state_dict(sd)
    return m.eval()


def rotate(k: torch.Tensor, delta: torch.Tensor, theta: float) -> torch.Tensor:
    """Keys k [H,T,Dh] (rotary applied at their old positions) moved by delta [T] positions (NeoX halves)."""
    dh = k.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, dh, 2, dtype=torch.float64) / dh))
    ang = delta.to(torch.float64)[:, None] * inv                      # [T, Dh/2]
    cos, sin = ang.cos().float(), ang.sin().float()
    k1, k2 = k[..., :dh // 2], k[..., dh // 2:]
    return torch.cat([k1 * cos - k2 * sin, k2 * cos + k1 * sin], -1)


class Example:
    """One infill case with everything the candidates need cached."""

    def __init__(self, m: Transformer, ex: dict):
        cfg = m.cfg
        self.L = cfg.n_layer
        pre, suf = ex["prefix"], ex["suffix"]
        self.P = len(pre)
        ids = np.array(pre + suf, np.int64)
        self.pos = np.array(list(range(self.P)) + [self.P + GAP + i for i in range(len(suf))], np.int64)
        self.ends = np.array(ex["prefix_ends_line"] + ex["suffix_ends_line"], bool)
        self.T = len(ids)
        chunks = [(a, min(a + CHUNK, self.P)) for a in range(0, self.P, CHUNK)] + \
                 [(a, min(a + CHUNK, self.T)) for a in range(self.P, self.T, CHUNK)]
        calls = [chunks[i:i + PER_CALL] for i in range(0, len(chunks), PER_CALL)]
        enc = Encode(m).eval()
        mem = [torch.zeros(1, cfg.n_head, 0, cfg.head_dim) for _ in range(2 * cfg.n_layer)]
        feats = N.Features(self.L)
        self.steps = []   # per call: (tokens existing after it, their features [T_s, F], cursor anchor)
        with torch.no_grad():
            for call in calls:
                a, b = call[0][0], call[-1][1]
                block = np.concatenate([np.full(e - s, j) for j, (s, e) in enumerate(call)])
                out = enc(torch.tensor(ids[None, a:b]), torch.tensor(self.pos[None, a:b]), torch.tensor(block[None]), *mem)
                new, received = out[:2 * cfg.n_layer], out[-1].numpy()            # received [L, B, a + (b - a)]
                mem = [torch.cat([o, n], 2) for o, n in zip(mem, new)]
                feats.add(b - a)
                for j, (s, e) in enumerate(call):
                    visible = e                                   # every token before this chunk's end
                    feats.step(np.arange(visible), received[:, j, :visible], visible)
                anchor = min(int(self.pos[b - 1]) + 1, self.P)
                self.steps.append((b, feats.matrix(np.arange(b), self.pos[:b], anchor), anchor))
        self.k = [mem[2 * i][0] for i in range(cfg.n_layer)]      # [H, T, Dh]
        self.v = [mem[2 * i + 1][0] for i in range(cfg.n_layer)]
        mid = ex["middle"]
        C = next(c for c in BUCKETS if c >= len(mid) + 1)
        self.target = torch.tensor(mid + [EOS] * (C - len(mid)))
        self.scored = len(mid) + 1                                 # the span and its first <eos>
        self.den = Denoise(m).eval()
        self.theta_rope = cfg.rope_theta
        self.full_ll = self.loglik(np.ones(self.T, bool))

    def loglik(self, kept: np.ndarray) -> float:
        """Mean log p of the true span tokens (+ <eos>) with only `kept` tokens in memory, positions closed up."""
        idx = np.nonzero(kept)[0]
        pre = idx[idx < self.P]
        new_pos = np.empty(len(idx), np.int64)
        new_pos[:len(pre)] = np.arange(len(pre))
        P2 = len(pre)
        new_pos[len(pre):] = P2 + GAP + np.arange(len(idx) - len(pre))
        delta = torch.tensor(new_pos - self.pos[idx])
        ti = torch.tensor(idx)
        mem = []
        for k, v in zip(self.k, self.v):
            kk = k.index_select(1, ti)
            mem += [rotate(kk, delta, self.theta_rope)[None] if bool((delta != 0).any()) else kk[None], v.index_select(1, ti)[None]]
        C = len(self.target)
        with torch.no_grad():
            logits = self.den(torch.full((1, C), MASK), torch.arange(P2, P2 + C)[None], torch.arange(C), *mem)
        lp = torch.log_softmax(logits, -1)[torch.arange(self.scored), self.target[:self.scored]]
        self.last_argmax_exact = bool((logits[:self.scored].argmax(-1) == self.target[:self.scored]).all())
        return float(lp.mean())

    def prune(self, theta: np.ndarray, budget: float = 1.0) -> np.ndarray:
        """The server's schedule: after each call, score the kept tokens and the call's new ones, keep by the rules
        (at most budget * tokens read so far when budget < 1)."""
        kept = np.zeros(self.T, bool)
        prev = 0
        for end, x, anchor in self.steps:
            kept[prev:end] = True
            live = np.nonzero(kept[:end])[0]
            sc = N.score(theta, x[live], self.L)
            prot = N.protected(self.pos[live], self.ends[live], anchor)
            cap = max(1, int(budget * end)) if budget < 1 else len(live)
            keep = N.keep(sc, prot, cap)
            kept[:end] = False
            kept[live[keep]] = True
            prev = end
        return kept


def evaluate(theta, examples, price, floor, guard):
    q, frac = [], []
    for e in examples:
        kept = e.prune(theta)
        q.append(math.exp(e.loglik(kept) - e.full_ll))
        frac.append(kept.mean())
    qn, fr = float(np.mean(q)), float(np.mean(frac))
    return qn - price * fr - guard * max(0.0, floor - qn), qn, fr


class SepCMA:
    """Separable CMA-ES (diagonal covariance), maximizing."""

    def __init__(self, mean, sigma, lam, seed):
        n = len(mean)
        self.n, self.m, self.sigma, self.lam = n, mean.astype(np.float64).copy(), sigma, lam
        self.mu = lam // 2
        w = np.log(self.mu + 0.5) - np.log(np.arange(1, self.mu + 1))
        self.w = w / w.sum()
        self.mueff = 1.0 / (self.w ** 2).sum()
        self.cs = (self.mueff + 2) / (n + self.mueff + 5)
        self.ds = 1 + 2 * max(0.0, math.sqrt((self.mueff - 1) / (n + 1)) - 1) + self.cs
        self.cc = (4 + self.mueff / n) / (n + 4 + 2 * self.mueff / n)
        c1 = 2 / ((n + 1.3) ** 2 + self.mueff)
        cmu = min(1 - c1, 2 * (self.mueff - 2 + 1 / self.mueff) / ((n + 2) ** 2 + self.mueff))
        self.c1, self.cmu = min(1.0, c1 * (n + 2) / 3), min(1.0, cmu * (n + 2) / 3)   # sep-CMA learning rates
        self.C = np.ones(n)
        self.ps, self.pc = np.zeros(n), np.zeros(n)
        self.chi = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.g = 0
        self.rng = np.random.default_rng(seed)

    def ask(self):
        self.z = self.rng.standard_normal((self.lam, self.n))
        self.y = self.z * np.sqrt(self.C)
        return self.m + self.sigma * self.y

    def tell(self, fitness):
        order = np.argsort(-np.asarray(fitness))[:self.mu]
        yw = self.w @ self.y[order]
        zw = self.w @ self.z[order]
        self.m = self.m + self.sigma * yw
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * zw
        self.g += 1
        hs = np.linalg.norm(self.ps) / math.sqrt(1 - (1 - self.cs) ** (2 * self.g)) < (1.4 + 2 / (self.n + 1)) * self.chi
        self.pc = (1 - self.cc) * self.pc + hs * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * yw
        self.C = (1 - self.c1 - self.cmu) * self.C + self.c1 * self.pc ** 2 + self.cmu * (self.w @ self.y[order] ** 2)
        self.sigma *= math.exp(self.cs / self.ds * (np.linalg.norm(self.ps) / self.chi - 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", required=True)
    ap.add_argument("--graph", default=str(HERE.parents[1] / "models" / "completion-denoise.int8.onnx"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--log", default="", help="also write the per-generation log here (JSON)")
    ap.add_argument("--generations", type=int, default=40)
    ap.add_argument("--population", type=int, default=16)
    ap.add_argument("--sigma", type=float, default=0.5)
    ap.add_argument("--price", type=float, default=0.3, help="fitness lost per unit of kept fraction")
    ap.add_argument("--floor", type=float, default=0.98, help="normalized quality below which the guard bites")
    ap.add_argument("--guard", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=18.0, help="stop after this long (the best so far is written)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    m = load_model(Path(a.graph))
    L = m.cfg.n_layer
    raw = [json.loads(l) for l in Path(a.examples).read_text().splitlines() if l.strip()]
    examples = [Example(m, ex) for ex in raw]
    print(f"cached {len(examples)} examples in {time.time() - t0:.0f} s", flush=True)
    start = N.keep_everything(L)
    base = evaluate(start, examples, a.price, a.floor, a.guard)
    print(f"keep everything: fitness {base[0]:.4f} quality {base[1]:.4f} kept {base[2]:.3f}", flush=True)
    es = SepCMA(start, a.sigma, a.population, a.seed)
    best = (base[0], start.copy(), base[1], base[2])
    log = []
    for g in range(a.generations):
        xs = es.ask()
        res = [evaluate(x, examples, a.price, a.floor, a.guard) for x in xs]
        es.tell([r[0] for r in res])
        i = int(np.argmax([r[0] for r in res]))
        if res[i][0] > best[0]:
            best = (res[i][0], xs[i].copy(), res[i][1], res[i][2])
        mean_res = evaluate(es.m, examples, a.price, a.floor, a.guard)
        if mean_res[0] > best[0]:
            best = (mean_res[0], es.m.copy(), mean_res[1], mean_res[2])
        row = {"generation": g + 1, "best_fitness": best[0], "best_quality": best[2], "best_kept": best[3],
               "mean_fitness": mean_res[0], "mean_quality": mean_res[1], "mean_kept": mean_res[2], "sigma": es.sigma,
               "elapsed_s": round(time.time() - t0)}
        log.append(row)
        print(json.dumps(row), flush=True)
        if time.time() - t0 > 60 * a.minutes:
            print("time limit reached", flush=True)
            break
    fit, theta, q, kept = best
    exact = []
    for e in examples:
        e.loglik(e.prune(theta))
        exact.append(e.last_argmax_exact)
    full_exact = []
    for e in examples:
        e.loglik(np.ones(e.T, bool))
        full_exact.append(e.last_argmax_exact)
    summary = {"examples": len(examples), "examples_file": a.examples, "graph": a.graph, "cma_es": "separable (diagonal)",
               "population": a.population, "sigma0": a.sigma, "generations": len(log), "parameters": len(theta),
               "price_per_kept_fraction": a.price, "guard_floor": a.floor, "guard_weight": a.guard,
               "start": {"fitness": base[0], "normalized_quality": base[1], "kept_fraction": base[2]},
               "best": {"fitness": fit, "normalized_quality": q, "kept_fraction": kept,
                        "one_pass_argmax_exact": float(np.mean(exact)), "full_memory_one_pass_argmax_exact": float(np.mean(full_exact))},
               "minutes": round((time.time() - t0) / 60, 1)}
    print(json.dumps(summary, indent=1), flush=True)
    Path(a.out).write_text(json.dumps({"format": "nanomind-namm-scorer-1", "nLayer": L, "hidden": N.D, "window": N.WINDOW,
                                       "theta": [round(float(t), 7) for t in theta], "evolution": summary}) + "\n")
    if a.log:
        Path(a.log).write_text(json.dumps({"summary": summary, "generations": log}, indent=1) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
