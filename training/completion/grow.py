#!/usr/bin/env python3
"""Grow a trained checkpoint into a larger shape that computes exactly the same function (to continue training).

  python3 training/completion/grow.py SMALL.pt --shape d320l8 OUT.pt [--seed 0] [--check]

Why: a larger shape trained from scratch needs far more GPU time than a lease has before it catches up with
the shipped model (which has seen ~3B tokens). Grown from it, the larger network starts where the small one
is and only has to learn what the extra capacity adds. The same growth, applied to the diffusion model and to
its AR twin, keeps the twins comparable.

How (every new weight that WRITES into the residual stream or the logits starts at zero, so the output is
unchanged; the weights that only READ start random, so gradients reach the new parts from the first step):
* depth (LLaMA Pro-style block expansion): the new blocks are copies of the block before them, spread evenly
  through the stack, with their attention output (attn.proj) and MLP output (mlp.out) zeroed: identity blocks.
* width (head dim stays 64, so new width = new heads): old weights in the top-left corner; the embedding's and
  every residual-writing matrix's new rows/columns zero, so the new residual dims stay 0 at first; new heads
  and new MLP units read with random weights and write through zeroed columns of attn.proj / mlp.out; RMSNorm
  weights scaled by sqrt(D_old / D_new), because the mean square over D_new dims of which D_new - D_old are 0
  is D_old / D_new of the old one, and the epsilon by D_old / D_new too (the config's norm_eps): then
  mean_new + eps_new = (D_old / D_new) (mean_old + eps_old) exactly. (An unscaled epsilon is not negligible:
  the embedding rows are small, so their mean square is within ~50x of 1e-5.)
--check compares the logits of both networks on random inputs (diffusion mask and causal): the worst
difference must be float rounding.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import Config, Transformer, SHAPES  # noqa: E402

HEAD_DIM = 64


def grow_width(sd: dict, old: Config, new: Config, g: torch.Generator) -> dict:
    D, Dn, F, Fn = old.d_model, new.d_model, old.d_ff, new.d_ff
    H, Hn = old.n_head, new.n_head
    rnd = lambda *shape: torch.randn(*shape, generator=g) * 0.02
    norm_scale = math.sqrt(D / Dn)
    out = {}
    for k, w in sd.items():
        w = w.float()
        if k == "embed.weight":                                    # [V, D]: new dims zero (they write the residual)
            nw = torch.zeros(w.shape[0], Dn); nw[:, :D] = w
        elif k.endswith("ln1.weight") or k.endswith("ln2.weight") or k == "ln_f.weight":
            nw = torch.full((Dn,), float(w.mean()) * norm_scale); nw[:D] = w * norm_scale
        elif k.endswith("attn.qkv.weight"):                        # [3D, D], rows (3, H, Dh)
            nw = rnd(3, Hn, HEAD_DIM, Dn)
            nw[:, :H, :, :D] = w.view(3, H, HEAD_DIM, D)
            nw[:, :H, :, D:] = rnd(3, H, HEAD_DIM, Dn - D)          # old heads read the new dims (0 at first)
            nw = nw.reshape(3 * Dn, Dn)
        elif k.endswith("attn.proj.weight"):                       # [D_out, D_in]: writes the residual
            nw = torch.zeros(Dn, Dn); nw[:D, :D] = w
        elif k.endswith("mlp.fc.weight"):                          # [F, D]: reads
            nw = rnd(Fn, Dn); nw[:F, :D] = w
        elif k.endswith("mlp.out.weight"):                         # [D, F]: writes
            nw = torch.zeros(Dn, Fn); nw[:D, :F] = w
        else:
            raise SystemExit(f"grow: no rule for weight {k}")
        out[k] = nw
    return out


def grow_depth(sd: dict, n_old: int, n_new: int, g: torch.Generator) -> dict:
    """Blocks 0..n_old-1 -> n_new blocks; each added block copies the one before it, outputs zeroed. The copied
    matrices get a little noise (0.1% of their spread): exact copies would be one tensor to the ONNX exporter,
    which then shares it between two MatMuls and quantize.py leaves it in float32."""
    # After which old blocks to insert a copy: spread evenly (8 -> 12: after blocks 1, 3, 5, 7).
    extra = n_new - n_old
    after = [round((i + 1) * n_old / extra) - 1 for i in range(extra)]
    blocks = {}
    for k, w in sd.items():
        if k.startswith("blocks."):
            i = int(k.split(".")[1]); blocks.setdefault(i, {})[k.split(".", 2)[2]] = w
    order = []
    for i in range(n_old):
        order.append((i, False))
        order += [(i, True)] * after.count(i)
    out = {k: w for k, w in sd.items() if not k.startswith("blocks.")}
    for j, (i, identity) in enumerate(order):
        for name, w in blocks[i].items():
            if identity and name in ("attn.proj.weight", "mlp.out.weight"):
                w = torch.zeros_like(w)
            elif identity and w.dim() == 2:
                w = w + torch.randn(w.shape, generator=g) * 1e-3 * float(w.std())
            out[f"blocks.{j}.{name}"] = w.clone()
    return out


def grow(sd: dict, old: Config, new: Config, seed: int = 0) -> dict:
    if new.d_model // new.n_head != HEAD_DIM or old.d_model // old.n_head != HEAD_DIM:
        raise SystemExit("grow: head dim must stay 64")
    if new.d_model < old.d_model or new.n_layer < old.n_layer or new.d_ff < old.d_ff or new.vocab_size != old.vocab_size:
        raise SystemExit(f"grow: {new} is not larger than {old} in every dimension (same vocabulary)")
    g = torch.Generator().manual_seed(seed)
    if new.d_model > old.d_model or new.d_ff > old.d_ff:
        sd = grow_width(sd, old, Config(**{**old.to_dict(), "d_model": new.d_model, "n_head": new.n_head, "d_ff": new.d_ff}), g)
    if new.n_layer > old.n_layer:
        sd = grow_depth(sd, old.n_layer, new.n_layer, g)
    return sd


@torch.no_grad()
def check(small: Transformer, big: Transformer) -> float:
    import data as D
    g = torch.Generator().manual_seed(1)
    B, T = 2, 200
    ids = torch.randint(10, small.cfg.vocab_size, (B, T), generator=g)
    pos = torch.arange(T)[None].expand(B, T)
    role = torch.ones(B, T, dtype=torch.int8); role[:, 150:] = D.ROLE_CANVAS
    chunk = (torch.arange(T) // D.CHUNK)[None].expand(B, T).int()
    kept = torch.rand(B, T, generator=g) > 0.2
    mask = D.diffusion_mask(role, chunk, kept)
    worst = 0.0
    for kw in ({"mask": mask}, {"causal": True}):
        a, b = small(ids, pos, **kw), big(ids, pos, **kw)
        worst = max(worst, float((a - b).abs().max()))
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    ck = torch.load(a.src, map_location="cpu", weights_only=False)
    old = Config(**ck["config"])
    new = Config(**{**SHAPES[a.shape].to_dict(), "vocab_size": old.vocab_size,
                    "norm_eps": old.norm_eps * old.d_model / SHAPES[a.shape].d_model})
    sd = grow({k: v.float() for k, v in ck["model"].items()}, old, new, a.seed)
    big = Transformer(new)
    big.load_state_dict(sd)
    if a.check:
        small = Transformer(old); small.load_state_dict({k: v.float() for k, v in ck["model"].items()})
        worst = check(small.eval(), big.eval())
        print(f"{a.shape}: worst |Δ logit| vs {a.src}: {worst:.2e}")
        if worst > 1e-3:
            raise SystemExit("grow: the grown network does not compute the same function")
    torch.save({**{k: v for k, v in ck.items() if k not in ("model", "opt")}, "model": big.state_dict(), "config": new.to_dict(),
                "grown_from": {"checkpoint": a.src, "config": old.to_dict()}}, a.out)
    print(f"wrote {a.out}: {new} ({big.n_params() / 1e6:.2f}M params, from {sum(v.numel() for v in ck['model'].values()) / 1e6:.2f}M)")


if __name__ == "__main__":
    main()
