#!/usr/bin/env python3
"""Rebuild a PyTorch checkpoint from a shipped int8 graph (the weights dequantized), to continue training from.

  python3 training/completion/from_onnx.py models/completion-denoise.int8.onnx OUT.pt [--check test/fixtures/completion-parity.json]
  python3 training/completion/from_onnx.py models/completion-ar.int8.onnx OUT.pt --kind ar [--check ...]

Why: the bf16 training checkpoints live on the GPU box and in git-ignored folders, so a fresh machine has only
what is in models/. The int8 graphs hold every weight (quantize.py: per-column int8 + scales for each MatMul,
per-row int8 + scales for the embedding), so the network is recoverable up to the 7-bit rounding, which a few
hundred steps of further training wash out.

How the graph's weights map back (export.py traces the network block by block, so its weight MatMuls come in
the module order qkv, proj, mlp.fc, mlp.out per block, then the tied output head); each MatMul weight is the
transposed nn.Linear weight. Norm weights keep their names (prefix `m.`). The output head is the embedding
transposed (tied), so the embedding is taken from its per-row quantized Gather copy.

--check compares the rebuilt model with the parity fixture that export.py wrote from the original fp32 weights
(same inputs, top-16 log-probabilities): the worst difference must be about what the int8 graphs show in the
server's parity test, never more than --bound.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import Config, Transformer  # noqa: E402


def weights_from_graph(path: Path, norm_eps: float = 1e-5) -> tuple[Config, dict[str, torch.Tensor]]:
    g = onnx.load(str(path)).graph
    arr = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    emb = (arr["m.embed.weight_rows_q"].astype(np.float32) * arr["m.embed.weight_rows_scale"]).astype(np.float32)
    V, Dm = emb.shape
    # Weight MatMuls in graph order (the order the tracer met them), each as its float [K,N] matrix.
    # The tied head's int8 weight may be the embedding's int8 rows read through a Transpose (quantize.py stores
    # the embedding once), not an initializer of its own.
    transposed = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Transpose" and n.input[0] in arr}
    mats = []
    for n in g.node:
        if n.op_type == "DynamicQuantizeMatMul" and (n.input[1] in arr or n.input[1] in transposed):
            q = arr[n.input[1]] if n.input[1] in arr else arr[transposed[n.input[1]]].T
            s = arr[n.input[2]]
            mats.append(q.astype(np.float32) * s[None, :])
    norms = sorted(k for k in arr if k.startswith("m.blocks.") and k.endswith(".weight"))
    n_layer = len({k.split(".")[2] for k in norms})
    if len(mats) != 4 * n_layer + 1:
        raise SystemExit(f"{path}: expected {4 * n_layer + 1} weight MatMuls for {n_layer} blocks, found {len(mats)}")
    d_ff = mats[2].shape[1]
    # Head count: the graph reshapes to [.., 3*H, Dh]; the shipped shapes all use Dh = 64.
    cfg = Config(vocab_size=V, d_model=Dm, n_layer=n_layer, n_head=Dm // 64, d_ff=d_ff, norm_eps=norm_eps)
    sd = {"embed.weight": torch.tensor(emb), "ln_f.weight": torch.tensor(arr["m.ln_f.weight"])}
    names = ("attn.qkv", "attn.proj", "mlp.fc", "mlp.out")
    for b in range(n_layer):
        for k, name in enumerate(names):
            sd[f"blocks.{b}.{name}.weight"] = torch.tensor(mats[4 * b + k].T.copy())
        for ln in ("ln1", "ln2"):
            sd[f"blocks.{b}.{ln}.weight"] = torch.tensor(arr[f"m.blocks.{b}.{ln}.weight"])
    head = mats[-1].T  # [V, D]: the tied head, quantized per token like the embedding rows
    if head.shape != emb.shape or np.abs(head - emb).max() > 2 * np.abs(emb).max() / 63:
        raise SystemExit(f"{path}: the last MatMul is not the tied output head")
    return cfg, sd


def check(m: Transformer, fixture: Path, kind: str, bound: float) -> float:
    """Worst |Δ log p| over the fixture's top-16 entries between the rebuilt model and the original's."""
    import export as X
    fx = json.loads(fixture.read_text())
    if kind == "diffusion":
        r = X.diffusion_reference(m)
        if r["canvas"].tolist() != fx["canvas_ids"]:
            raise SystemExit("the fixture's inputs differ from diffusion_reference(seed 0)")
        ref, ids, lps = r["ref"], fx["top_ids"], fx["top_logprobs"]
    else:
        r = X.ar_reference(m)
        if r["seq"].tolist() != fx["ar"]["ids"]:
            raise SystemExit("the fixture's inputs differ from ar_reference(seed 0)")
        ref, ids, lps = r["ref"], fx["ar"]["top_ids"], fx["ar"]["top_logprobs"]
    logp = torch.log_softmax(torch.tensor(ref), -1).numpy()
    worst = max(abs(logp[i, t] - lp) for i in range(len(ids)) for t, lp in zip(ids[i], lps[i]))
    agree = float(np.mean([logp[i].argmax() == ids[i][0] for i in range(len(ids))]))
    print(f"{kind}: worst |Δ log p| {worst:.3f} over the fixture's top-16, top-1 agreement {agree:.2f}")
    if worst > bound:
        raise SystemExit(f"rebuilt {kind} model differs from the fixture by {worst:.3f} > {bound}")
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graph")
    ap.add_argument("out")
    ap.add_argument("--kind", default="diffusion", choices=["diffusion", "ar"])
    ap.add_argument("--check", default="", help="parity fixture written by export.py from the original weights")
    ap.add_argument("--bound", type=float, default=1.5)
    ap.add_argument("--norm-eps", type=float, default=1e-5,
                    help="RMSNorm epsilon of the exported model (not recoverable from the graph's weights): 1e-5 "
                         "unless it was widened by grow.py, which scales it by d_old / d_new (d384 from d256: 6.6667e-6)")
    a = ap.parse_args()
    cfg, sd = weights_from_graph(Path(a.graph), a.norm_eps)
    m = Transformer(cfg)
    m.load_state_dict(sd)
    m.eval()
    print(f"{a.graph}: {cfg} ({m.n_params() / 1e6:.2f}M params)")
    worst = check(m, Path(a.check), a.kind, a.bound) if a.check else None
    torch.save({"model": {k: v.detach().clone() for k, v in m.state_dict().items()}, "config": cfg.to_dict(),
                "step": 0, "mode": a.kind, "tokens": 0, "sup": 0,
                "source": {"graph": a.graph, "fixture_worst_abs_logp_diff": worst}}, a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
