#!/usr/bin/env python3
"""Evolve the NAMM scorer with CMA-ES against the shipped completion model (one command, CPU or GPU box):

  node --import tsx training/namm/examples.ts RUN/train.jsonl --count 16 --context 1024
  python3 training/namm/evolve.py --examples RUN/train.jsonl --out models/memory-scorer.json --log training/namm/results/evolve.json \
      [--generations 40] [--population 10] [--sigma 0.5] [--minutes 15]

The fitness runs in a child process through the server's own code and int8 graphs (training/namm/fitness.ts,
onnxruntime-node): whatever completion model is in models/ gets its memory from the same command. Examples come
from training-split files only (examples.ts). Per example, once: the context is encoded (chunks of 64, 4 per call,
as the server does), recording every prune step's features (they do not depend on the scorer) and the full
memory's span log-likelihood. Per candidate and example: the prune steps are replayed with the candidate's scores
and the keep rules, and the canvas (true span + <eos>, all masked) attends to the kept K/V with positions closed up.

Fitness (maximized) = mean normalized quality exp(LL_pruned - LL_full) - price * kept fraction
  - guard * max(0, floor - normalized quality)
The guard stops the known collapse to evicting everything. Start: keep everything (namm.keep_everything).
CMA-ES: separable (diagonal covariance; Ros & Hansen 2008), written here with numpy (Debian has no python3-cma).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import namm as N  # noqa: E402


class NodeFitness:
    """training/namm/fitness.ts as a child process: theta vectors in, (quality, kept, exact) out."""

    def __init__(self, examples: str):
        self.p = subprocess.Popen(["node", "--import", "tsx", str(HERE / "fitness.ts"), examples], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(self.p.stdout.readline() or "null") if self.p.stdout else None
        if not hello:
            raise SystemExit("fitness.ts did not start (see its error above)")
        self.cases, self.n_layer = hello["ready"], hello["nLayer"]

    def __call__(self, thetas, budget=1.0):
        self.p.stdin.write(json.dumps({"thetas": [[float(x) for x in t] for t in thetas], "budget": budget}) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit("fitness.ts stopped")
        return json.loads(line)["results"]


def fitness(r, price, floor, guard):
    return r["quality"] - price * r["kept"] - guard * max(0.0, floor - r["quality"])


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


def write_manifest(manifest: Path, scorer: Path, summary: dict):
    """brains.memory of models/manifest.json: the scorer file with its sha256, as every model is listed."""
    m = json.loads(manifest.read_text())
    data = scorer.read_bytes()
    m["brains"]["memory"] = {
        "files": {"scorer": {"file": scorer.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                             "params": summary["parameters"], "format": "nanomind-namm-scorer-1 (JSON weights, server/src/memory/scorer.ts)"}},
        "evolution": summary,
        "model_card": "MODEL_CARD.md#memory",
    }
    manifest.write_text(json.dumps(m, indent=2) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--log", default="", help="also write the per-generation log here (JSON)")
    ap.add_argument("--generations", type=int, default=40)
    ap.add_argument("--population", type=int, default=10)
    ap.add_argument("--sigma", type=float, default=0.5)
    ap.add_argument("--price", type=float, default=0.3, help="fitness lost per unit of kept fraction")
    ap.add_argument("--floor", type=float, default=0.98, help="normalized quality below which the guard bites")
    ap.add_argument("--guard", type=float, default=10.0)
    ap.add_argument("--minutes", type=float, default=15.0, help="stop after this long (the best so far is written)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--manifest", default="", help="write the memory brain's entry (file, sha256, bytes) into this manifest")
    a = ap.parse_args()
    t0 = time.time()
    fit = NodeFitness(a.examples)
    L = fit.n_layer
    print(f"cached {fit.cases} examples in {time.time() - t0:.0f} s", flush=True)
    start = N.keep_everything(L)
    r0 = fit([start])[0]
    base = (fitness(r0, a.price, a.floor, a.guard), r0)
    print(f"keep everything: fitness {base[0]:.4f} quality {r0['quality']:.4f} kept {r0['kept']:.3f}", flush=True)
    es = SepCMA(start, a.sigma, a.population, a.seed)
    best = (base[0], start.copy(), r0)
    log = []
    for g in range(a.generations):
        xs = es.ask()
        res = fit(list(xs) + [es.m])
        fs = [fitness(r, a.price, a.floor, a.guard) for r in res]
        es.tell(fs[:-1])
        for x, f, r in zip(list(xs) + [es.m], fs, res):
            if f > best[0]:
                best = (f, np.array(x, np.float64).copy(), r)
        row = {"generation": g + 1, "best_fitness": best[0], "best_quality": best[2]["quality"], "best_kept": best[2]["kept"],
               "population_mean_fitness": float(np.mean(fs[:-1])), "sigma": es.sigma, "elapsed_s": round(time.time() - t0)}
        log.append(row)
        print(json.dumps(row), flush=True)
        if time.time() - t0 > 60 * a.minutes:
            print("time limit reached", flush=True)
            break
    f_best, theta, r = best
    summary = {"examples": fit.cases, "examples_file": a.examples, "cma_es": "separable (diagonal covariance)",
               "population": a.population, "sigma0": a.sigma, "generations": len(log), "parameters": len(theta),
               "price_per_kept_fraction": a.price, "guard_floor": a.floor, "guard_weight": a.guard,
               "start": {"fitness": base[0], "normalized_quality": r0["quality"], "kept_fraction": r0["kept"]},
               "best": {"fitness": f_best, "normalized_quality": r["quality"], "kept_fraction": r["kept"],
                        "one_pass_argmax_exact": r["exact"], "full_memory_one_pass_argmax_exact": r0["exact"]},
               "minutes": round((time.time() - t0) / 60, 1)}
    print(json.dumps(summary, indent=1), flush=True)
    Path(a.out).write_text(json.dumps({"format": "nanomind-namm-scorer-1", "nLayer": L, "hidden": N.D, "window": N.WINDOW,
                                       "theta": [round(float(t), 7) for t in theta], "evolution": summary}) + "\n")
    if a.manifest:
        write_manifest(Path(a.manifest), Path(a.out), summary)
    if a.log:
        Path(a.log).parent.mkdir(parents=True, exist_ok=True)
        Path(a.log).write_text(json.dumps({"summary": summary, "generations": log}, indent=1) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
