"""Export one ACT step of a trained HRM to ONNX and check it against PyTorch.

  python -m training.hrm.export --ckpt training/runs/sudoku/ckpt.pt --out models/hrm-sudoku.onnx [--int8]

Graph contract (batch dimension dynamic):
  inputs  tokens int64 [B, N], z_H float32 [B, N, D], z_L float32 [B, N, D]
  outputs z_H_next [B, N, D], z_L_next [B, N, D], logits float32 [B, N, V_out], halt_logit float32 [B]

Also benchmarks the graph with onnxruntime on 2 intra-op threads (the target
CPU budget): median ms per ACT step.  --bench-only builds an untrained model
from a config to size the network before training.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

import numpy as np
import torch

from .model import HRM, HRMConfig, MAZE, SUDOKU, count_params


def load(ckpt_path, use_ema=True):
    ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    cfg = HRMConfig(**ck["cfg"])
    m = HRM(cfg)
    m.load_state_dict(ck["ema"] if (use_ema and ck.get("ema")) else ck["model"])
    m.eval()
    return m, ck


def export(m: HRM, path: str):
    cfg = m.cfg
    N, D = cfg.n_tokens, cfg.d
    tokens = torch.zeros(1, N, dtype=torch.long)
    z = torch.zeros(1, N, D)
    kw = dict(
        input_names=["tokens", "z_H", "z_L"],
        output_names=["z_H_next", "z_L_next", "logits", "halt_logit"],
        dynamic_axes={k: {0: "batch"} for k in ["tokens", "z_H", "z_L", "z_H_next", "z_L_next", "logits", "halt_logit"]},
        opset_version=17,
        do_constant_folding=True,
    )
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:  # torch >= 2.9 defaults to the dynamo exporter; the TorchScript one handles dynamic_axes
        torch.onnx.export(m, (tokens, z, z.clone()), path, dynamo=False, external_data=False, **kw)
    except TypeError:  # older torch has neither keyword
        torch.onnx.export(m, (tokens, z, z.clone()), path, **kw)


def quantize(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)


def session(path, threads=2):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def random_inputs(cfg: HRMConfig, seed=0, steps=2, m: HRM | None = None):
    """Realistic inputs: random puzzle tokens, states after `steps` real steps."""
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, cfg.vocab_in, (1, cfg.n_tokens), generator=g)
    z_H = torch.zeros(1, cfg.n_tokens, cfg.d)
    z_L = torch.zeros_like(z_H)
    if m is not None:
        with torch.no_grad():
            for _ in range(steps):
                z_H, z_L, _, _ = m(tokens, z_H, z_L)
    return tokens, z_H, z_L


def parity(m: HRM, path: str, trials=3):
    sess = session(path)
    worst = {}
    for t in range(trials):
        tokens, z_H, z_L = random_inputs(m.cfg, seed=t, steps=t, m=m)
        with torch.no_grad():
            ref = [o.numpy() for o in m(tokens, z_H, z_L)]
        out = sess.run(None, {"tokens": tokens.numpy(), "z_H": z_H.numpy(), "z_L": z_L.numpy()})
        for name, a, b in zip(["z_H_next", "z_L_next", "logits", "halt_logit"], ref, out):
            assert a.shape == b.shape, (name, a.shape, b.shape)
            worst[name] = max(worst.get(name, 0.0), float(np.abs(a - b).max()))
    return worst


def bench(path, cfg: HRMConfig, threads=2, reps=30):
    sess = session(path, threads)
    tokens, z_H, z_L = random_inputs(cfg)
    feed = {"tokens": tokens.numpy(), "z_H": z_H.numpy(), "z_L": z_L.numpy()}
    for _ in range(3):
        sess.run(None, feed)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sess.run(None, feed)
        ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--int8", action="store_true", help="also write a dynamic-int8 copy next to --out")
    ap.add_argument("--no-ema", action="store_true")
    ap.add_argument("--bench-only", help="json config overrides for an untrained model, e.g. '{\"family\":\"maze\",\"d\":64}'")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.bench_only:
        over = json.loads(a.bench_only)
        base = SUDOKU if over.get("family", "sudoku") == "sudoku" else MAZE
        cfg = HRMConfig(**{**base, **over})
        m = HRM(cfg).eval()
    else:
        m, _ = load(a.ckpt, use_ema=not a.no_ema)
        cfg = m.cfg
    export(m, a.out)
    res = {"file": a.out, "params": count_params(m), "bytes": os.path.getsize(a.out), "cfg": cfg.to_dict()}
    res["max_abs_diff"] = parity(m, a.out)
    res["ms_per_step_fp32"] = bench(a.out, cfg, a.threads)
    if a.int8:
        q = a.out.replace(".onnx", ".int8.onnx")
        quantize(a.out, q)
        res["max_abs_diff_int8"] = parity(m, q)
        res["ms_per_step_int8"] = bench(q, cfg, a.threads)
        res["bytes_int8"] = os.path.getsize(q)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
