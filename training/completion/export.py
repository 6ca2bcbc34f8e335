#!/usr/bin/env python3
"""Export the completion models to ONNX, quantize to int8, check parity with PyTorch, time them on 2 CPU threads.

  python3 training/completion/export.py --diffusion RUN/diff/weights-final.pt --ar RUN/ar/weights-final.pt --out DIR
  python3 training/completion/export.py --random d256l8 --out DIR      # random weights: shape latency / export test

Graphs (all float32 activations, int64 ids/positions; L layers, H heads, Dh head dim, V vocab):
  diffusion_encode   chunk_ids [1,N], chunk_pos [1,N], mem_k [L,1,H,M,Dh], mem_v [L,1,H,M,Dh]
                     -> new_k [L,1,H,N,Dh], new_v [L,1,H,N,Dh], attention [L,N,M+N]
     One context chunk attends to the retained memory and to itself (bidirectionally). The server appends
     new_k/new_v to its memory; `attention` (averaged over heads) is what each memory/new token RECEIVES
     from each of the chunk's queries, per layer: the NAMM's input.
  diffusion_denoise  canvas_ids [1,C], canvas_pos [1,C], mem_k, mem_v, masked [K]
                     -> logits [K,V], attention [L,C,M+C]
     Logits only at the masked canvas slots the sampler asks about (FACTS.md: computing all positions costs
     more). Control tokens other than <eos> get -1e9 so the sampler never proposes them.
  ar_step            ids [1,N], pos [1,N], past_k [L,1,H,P,Dh], past_v -> logits [1,V] (last position),
                     present_k [L,1,H,P+N,Dh], present_v     (causal; prefill with P=0, then N=1 per token)
Positions follow data.py: prefix 0..P-1, canvas P..P+C-1, suffix from P+64; chunks of 64 context tokens.
Writes *.onnx (fp32) and *.int8.onnx, and spec.json (names, shapes, constants, parity, latency).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import Config, Transformer, SHAPES, rope_cos_sin, EOS, MASK  # noqa: E402
import data as D  # noqa: E402

N_CONTROL = 10


class Encode(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m

    def forward(self, chunk_ids, chunk_pos, mem_k, mem_v):
        cfg = self.m.cfg
        cos, sin = rope_cos_sin(chunk_pos, cfg.head_dim, cfg.rope_theta)
        x = self.m.embed(chunk_ids)
        ks, vs, atts = [], [], []
        for i, b in enumerate(self.m.blocks):
            a, k, v, p = b.attn.forward_with_memory(b.ln1(x), cos, sin, mem_k[i], mem_v[i])
            x = x + a
            x = x + b.mlp(b.ln2(x))
            ks.append(k); vs.append(v); atts.append(p.mean(1)[0])       # p [1,H,N,M+N] -> [N,M+N]
        return torch.stack(ks), torch.stack(vs), torch.stack(atts)


class Denoise(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m
        ban = torch.zeros(m.cfg.vocab_size)
        ban[:N_CONTROL] = -1e9
        ban[EOS] = 0.0
        self.register_buffer("ban", ban)

    def forward(self, canvas_ids, canvas_pos, mem_k, mem_v, masked):
        cfg = self.m.cfg
        cos, sin = rope_cos_sin(canvas_pos, cfg.head_dim, cfg.rope_theta)
        x = self.m.embed(canvas_ids)
        atts = []
        for i, b in enumerate(self.m.blocks):
            a, _, _, p = b.attn.forward_with_memory(b.ln1(x), cos, sin, mem_k[i], mem_v[i])
            x = x + a
            x = x + b.mlp(b.ln2(x))
            atts.append(p.mean(1)[0])
        h = self.m.ln_f(x)[0].index_select(0, masked)                      # [K,D]
        return self.m.logits(h) + self.ban, torch.stack(atts)


class ARStep(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m

    def forward(self, ids, pos, past_k, past_v):
        cfg = self.m.cfg
        N = ids.shape[1]
        cos, sin = rope_cos_sin(pos, cfg.head_dim, cfg.rope_theta)
        causal = torch.ones(N, N, dtype=torch.bool, device=ids.device).tril()
        x = self.m.embed(ids)
        ks, vs = [], []
        for i, b in enumerate(self.m.blocks):
            a, k, v, _ = b.attn.forward_with_memory(b.ln1(x), cos, sin, past_k[i], past_v[i], self_mask=causal)
            x = x + a
            x = x + b.mlp(b.ln2(x))
            ks.append(torch.cat([past_k[i], k], 2)); vs.append(torch.cat([past_v[i], v], 2))
        h = self.m.ln_f(x[:, -1])
        return self.m.logits(h), torch.stack(ks), torch.stack(vs)


def empty_mem(cfg, M=0):
    return torch.zeros(cfg.n_layer, 1, cfg.n_head, M, cfg.head_dim)


def onnx_export(module, args, path, inputs, outputs, dyn):
    kw = dict(input_names=inputs, output_names=outputs, dynamic_axes=dyn, opset_version=17, dynamo=False)
    try:
        torch.onnx.export(module, args, str(path), external_data=False, **kw)
    except TypeError:  # older torch (< 2.5) has neither the external_data nor the dynamo keyword
        kw.pop("dynamo")
        torch.onnx.export(module, args, str(path), **kw)


def export_diffusion(m: Transformer, out: Path, name="diffusion"):
    cfg = m.cfg
    mk = torch.randn(cfg.n_layer, 1, cfg.n_head, 10, cfg.head_dim)
    mem_dyn = {3: "M"}
    onnx_export(Encode(m).eval(), (torch.randint(10, 100, (1, 7)), torch.arange(7)[None] + 10, mk, mk.clone()),
                out / f"{name}_encode.onnx", ["chunk_ids", "chunk_pos", "mem_k", "mem_v"], ["new_k", "new_v", "attention"],
                {"chunk_ids": {1: "N"}, "chunk_pos": {1: "N"}, "mem_k": mem_dyn, "mem_v": mem_dyn,
                 "new_k": {3: "N"}, "new_v": {3: "N"}, "attention": {1: "N", 2: "M_plus_N"}})
    onnx_export(Denoise(m).eval(), (torch.randint(10, 100, (1, 8)), torch.arange(8)[None] + 10, mk, mk.clone(),
                                    torch.tensor([1, 3, 5])),
                out / f"{name}_denoise.onnx", ["canvas_ids", "canvas_pos", "mem_k", "mem_v", "masked"], ["logits", "attention"],
                {"canvas_ids": {1: "C"}, "canvas_pos": {1: "C"}, "mem_k": mem_dyn, "mem_v": mem_dyn, "masked": {0: "K"},
                 "logits": {0: "K"}, "attention": {1: "C", 2: "M_plus_C"}})


def export_ar(m: Transformer, out: Path, name="ar"):
    cfg = m.cfg
    pk = torch.randn(cfg.n_layer, 1, cfg.n_head, 10, cfg.head_dim)
    onnx_export(ARStep(m).eval(), (torch.randint(10, 100, (1, 3)), torch.arange(3)[None] + 10, pk, pk.clone()),
                out / f"{name}_step.onnx", ["ids", "pos", "past_k", "past_v"], ["logits", "present_k", "present_v"],
                {"ids": {1: "N"}, "pos": {1: "N"}, "past_k": {3: "P"}, "past_v": {3: "P"},
                 "present_k": {3: "P_plus_N"}, "present_v": {3: "P_plus_N"}})


def quantize(src: Path) -> Path:
    from onnxruntime.quantization import quantize_dynamic, QuantType
    dst = src.with_suffix(".int8.onnx")
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    return dst


def session(path, threads=2):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def parity_diffusion(m: Transformer, enc_path, den_path, seed=0, fixture=""):
    """Reference = the training-time joint forward (data.py layout + diffusion_mask) on the same tokens.
    With `fixture`, also writes the inputs and PyTorch's top-16 log-probabilities per masked slot as JSON, for
    the server's parity test (test/unit/completionParity.test.ts runs the shipped graphs on the same inputs)."""
    cfg = m.cfg
    g = np.random.default_rng(seed)
    P, S, C = 150, 40, 16
    prefix = g.integers(10, cfg.vocab_size, P); suffix = g.integers(10, cfg.vocab_size, S)
    ex = D.diffusion_example(prefix, np.array([], np.int64), suffix, g, ctx_noise_p=0, evict_p=0, canvas_size=C)
    canvas = g.integers(10, cfg.vocab_size, C); masked = np.sort(g.choice(C, 9, replace=False)); canvas[masked] = MASK
    ids = torch.tensor(ex["ids"])[None]; pos = torch.tensor(ex["pos"])[None]
    ids[0, P + S:P + S + C] = torch.tensor(canvas)
    role = torch.tensor(ex["role"])[None]; chunk = torch.tensor(ex["chunk"])[None]; kept = torch.ones_like(role, dtype=torch.bool)
    with torch.no_grad():
        h = m.hidden(ids, pos, D.diffusion_mask(role, chunk, kept))
        ref = m.logits(h[0, P + S + torch.tensor(masked)]).numpy()
    ban = [i for i in range(N_CONTROL) if i != EOS]
    ref[:, ban] = -1e9  # what the Denoise graph does (adding then subtracting 1e9 would lose the logit in float32)
    # ONNX: prefix chunks 0-63, 64-127, 128-149, then the suffix chunk, then the canvas
    se = session(enc_path); sd = session(den_path)
    mk = np.zeros((cfg.n_layer, 1, cfg.n_head, 0, cfg.head_dim), np.float32); mv = mk.copy()
    ctx_ids, ctx_pos = ex["ids"][:P + S], ex["pos"][:P + S]
    for a, b in ((0, 64), (64, 128), (128, P), (P, P + S)):
        nk, nv, att = se.run(None, {"chunk_ids": ctx_ids[None, a:b], "chunk_pos": ctx_pos[None, a:b], "mem_k": mk, "mem_v": mv})
        mk = np.concatenate([mk, nk], 3); mv = np.concatenate([mv, nv], 3)
    logits, att = sd.run(None, {"canvas_ids": canvas[None].astype(np.int64), "canvas_pos": ex["pos"][None, P + S:P + S + C],
                                "mem_k": mk, "mem_v": mv, "masked": masked.astype(np.int64)})
    ok = ref > -1e8
    if fixture:
        logp = torch.log_softmax(torch.tensor(ref), -1).numpy()
        top = np.argsort(-logp, -1)[:, :16]
        Path(fixture).write_text(json.dumps({
            "what": "training/completion/export.py parity_diffusion: inputs and the PyTorch reference (training-time joint "
                    "forward, fp32) as top-16 log-probabilities per masked canvas slot",
            "prefix_ids": prefix.tolist(), "suffix_ids": suffix.tolist(), "canvas_ids": canvas.tolist(),
            "masked": masked.tolist(), "top_ids": top.tolist(),
            "top_logprobs": np.take_along_axis(logp, top, -1).round(5).tolist()}))
    return {"max_abs_diff": float(np.abs(logits[ok] - ref[ok]).max()),
            "argmax_agree": float((logits.argmax(-1) == ref.argmax(-1)).mean()),
            "attention_shape": list(att.shape)}


def parity_ar(m: Transformer, path, seed=0):
    cfg = m.cfg
    g = np.random.default_rng(seed)
    seq = g.integers(10, cfg.vocab_size, 40)
    with torch.no_grad():
        ref = m(torch.tensor(seq)[None], torch.arange(40)[None], causal=True)[0].numpy()   # [40,V]
    s = session(path)
    pk = np.zeros((cfg.n_layer, 1, cfg.n_head, 0, cfg.head_dim), np.float32); pv = pk.copy()
    lg, pk, pv = s.run(None, {"ids": seq[None, :30], "pos": np.arange(30)[None], "past_k": pk, "past_v": pv})
    diffs = [np.abs(lg[0] - ref[29]).max()]
    agree = [lg[0].argmax() == ref[29].argmax()]
    for i in range(30, 40):  # one token at a time with the cache
        lg, pk, pv = s.run(None, {"ids": seq[None, i:i + 1], "pos": np.array([[i]]), "past_k": pk, "past_v": pv})
        diffs.append(np.abs(lg[0] - ref[i]).max()); agree.append(lg[0].argmax() == ref[i].argmax())
    return {"max_abs_diff": float(max(diffs)), "argmax_agree": float(np.mean(agree))}


def bench(fn, n=30, warm=5):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(1000 * (time.perf_counter() - t))
    return {"p50_ms": float(np.percentile(ts, 50)), "p95_ms": float(np.percentile(ts, 95))}


def latency(cfg, enc_path, den_path, threads=2):
    """Timed on the CPU with `threads` intra-op threads (the 2-core target), spinning off."""
    g = np.random.default_rng(0)
    L, H, Dh, V = cfg.n_layer, cfg.n_head, cfg.head_dim, cfg.vocab_size
    mem = lambda M: (g.standard_normal((L, 1, H, M, Dh)).astype(np.float32),) * 2
    res = {}
    se, sd = session(enc_path, threads), session(den_path, threads)
    for N, M in ((64, 0), (64, 448), (128, 384)):
        mk, mv = mem(M)
        feed = {"chunk_ids": g.integers(10, V, (1, N)), "chunk_pos": np.arange(M, M + N)[None], "mem_k": mk, "mem_v": mv}
        res[f"encode N={N} M={M}"] = bench(lambda: se.run(None, feed))
    for C, M, K in ((16, 512, 16), (32, 512, 32), (32, 512, 8), (64, 512, 64)):
        mk, mv = mem(M)
        feed = {"canvas_ids": g.integers(10, V, (1, C)), "canvas_pos": np.arange(384, 384 + C)[None], "mem_k": mk, "mem_v": mv,
                "masked": np.arange(K)}
        res[f"denoise C={C} M={M} K={K}"] = bench(lambda: sd.run(None, feed))
    return res


def load(path):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    m = Transformer(Config(**ck["config"]))
    m.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    return m.eval(), ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--diffusion", default="")
    ap.add_argument("--ar", default="")
    ap.add_argument("--random", default="", help="a shape name: export random weights of that shape")
    ap.add_argument("--fp32-only", action="store_true",
                    help="only write the fp32 graphs (no int8, parity or latency: those need onnxruntime); "
                         "used for the server's test fixture: --random tiny --fp32-only")
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--spec", default="", help="also write the spec here (e.g. training/completion/spec.json)")
    ap.add_argument("--parity-fixture", default="", help="write the diffusion parity inputs + PyTorch reference here (JSON)")
    args = ap.parse_args()
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    spec = {"layout": {"max_prefix": D.MAX_PREFIX, "max_suffix": D.MAX_SUFFIX, "suffix_gap": D.GAP, "chunk": D.CHUNK,
                       "canvas_buckets": list(D.BUCKETS), "max_span": D.MAX_SPAN,
                       "positions": "prefix 0..P-1, canvas P..P+C-1, suffix P+suffix_gap..; AR: 0..n-1 over the PSM sequence"},
            "special_ids": {"pad": 0, "eos": 1, "mask": 2, "fim_prefix": 3, "fim_suffix": 4, "fim_middle": 5},
            "sampler": {"threshold": 0.9, "canvas_single_line": 32, "canvas_multi_line": 64,
                        "eos_rule": "end: only masked slots before the first slot whose best token is <eos> are eligible; "
                                    "that <eos> only once it is the leftmost masked slot (eval.py diffusion_generate)"}, "graphs": {}}
    models = []
    if args.random:
        cfg = Config(**{**SHAPES[args.random].to_dict(), "vocab_size": args.vocab})
        m = Transformer(cfg).eval()
        models = [("diffusion", m, {"random": args.random}), ("ar", m, {"random": args.random})]
    if args.diffusion:
        m, ck = load(args.diffusion); models.append(("diffusion", m, {"checkpoint": args.diffusion, "step": ck.get("step")}))
    if args.ar:
        m, ck = load(args.ar); models.append(("ar", m, {"checkpoint": args.ar, "step": ck.get("step")}))
    for kind, m, src in models:
        cfg = m.cfg
        L, H, Dh = cfg.n_layer, cfg.n_head, cfg.head_dim
        info = {"source": src, "config": cfg.to_dict(), "params": m.n_params()}
        t0 = time.time()
        if kind == "diffusion":
            export_diffusion(m, out)
            files = [out / "diffusion_encode.onnx", out / "diffusion_denoise.onnx"]
        else:
            export_ar(m, out)
            files = [out / "ar_step.onnx"]
        if args.fp32_only:
            print(f"{kind}: wrote {[f.name for f in files]} ({m.n_params()} params)")
            continue
        q = [quantize(f) for f in files]
        info["export_s"] = time.time() - t0
        info["files"] = {f.name: os.path.getsize(f) for f in files + q}
        if kind == "diffusion":
            info["parity_fp32"] = parity_diffusion(m, files[0], files[1], fixture=args.parity_fixture)
            info["parity_int8"] = parity_diffusion(m, q[0], q[1])
            kv = f"[{L},1,{H},M,{Dh}]"
            spec["graphs"]["diffusion_encode"] = {
                "inputs": {"chunk_ids": "int64 [1,N]", "chunk_pos": "int64 [1,N]", "mem_k": f"float32 {kv}", "mem_v": f"float32 {kv}"},
                "outputs": {"new_k": f"float32 [{L},1,{H},N,{Dh}]", "new_v": f"float32 [{L},1,{H},N,{Dh}]",
                            "attention": f"float32 [{L},N,M+N] (head mean; attention each key receives from each query)"}}
            spec["graphs"]["diffusion_denoise"] = {
                "inputs": {"canvas_ids": "int64 [1,C]", "canvas_pos": "int64 [1,C]", "mem_k": f"float32 {kv}", "mem_v": f"float32 {kv}",
                           "masked": "int64 [K] (canvas slots to score)"},
                "outputs": {"logits": f"float32 [K,{cfg.vocab_size}] (control ids except eos = -1e9)",
                            "attention": f"float32 [{L},C,M+C]"}}
        else:
            info["parity_fp32"] = parity_ar(m, files[0])
            info["parity_int8"] = parity_ar(m, q[0])
            kv = f"[{L},1,{H},P,{Dh}]"
            spec["graphs"]["ar_step"] = {
                "inputs": {"ids": "int64 [1,N]", "pos": "int64 [1,N]", "past_k": f"float32 {kv}", "past_v": f"float32 {kv}"},
                "outputs": {"logits": f"float32 [1,{cfg.vocab_size}] (last position)", "present_k": f"float32 [{L},1,{H},P+N,{Dh}]",
                            "present_v": f"float32 [{L},1,{H},P+N,{Dh}]"}}
        print(kind, json.dumps({k: v for k, v in info.items() if k != "config"}, indent=1), flush=True)
        if not args.no_latency:
            if kind == "diffusion":
                info["latency_2threads"] = {"fp32": latency(cfg, files[0], files[1]), "int8": latency(cfg, q[0], q[1])}
            else:
                info["latency_2threads"] = {"fp32": latency_ar(cfg, files[0]), "int8": latency_ar(cfg, q[0])}
            print(kind, "latency", json.dumps(info["latency_2threads"], indent=1), flush=True)
        spec[f"{kind}_model"] = info
    (out / "spec.json").write_text(json.dumps(spec, indent=1))
    if args.spec:
        Path(args.spec).write_text(json.dumps(spec, indent=1))


def latency_ar(cfg, path, threads=2):
    g = np.random.default_rng(0)
    L, H, Dh, V = cfg.n_layer, cfg.n_head, cfg.head_dim, cfg.vocab_size
    s = session(path, threads)
    res = {}
    for N, P in ((520, 0), (1, 520)):
        pk = g.standard_normal((L, 1, H, P, Dh)).astype(np.float32)
        feed = {"ids": g.integers(10, V, (1, N)), "pos": np.arange(P, P + N)[None], "past_k": pk, "past_v": pk}
        res[f"ar N={N} P={P}"] = bench(lambda: s.run(None, feed), n=10 if N > 1 else 30)
    return res


if __name__ == "__main__":
    main()
