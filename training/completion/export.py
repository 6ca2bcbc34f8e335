#!/usr/bin/env python3
"""Export the completion models to ONNX, quantize to int8, check parity with PyTorch, time them on 2 CPU threads.

  python3 training/completion/export.py --diffusion RUN/diff/weights-final.pt --ar RUN/ar/weights-final.pt --out DIR
  python3 training/completion/export.py --random d256l8 --out DIR      # random weights: shape latency / export test

Graphs (all float32 activations, int64 ids/positions; L layers, H heads, Dh head dim, V vocab). K/V travel per
layer as 2L tensors [1,H,n,Dh] named like mem_k_0, mem_v_0, mem_k_1, ... (one tensor per layer: slicing one big
[L,...] tensor inside the graph copies it on every call):
  diffusion_encode   chunk_ids [1,N], chunk_pos [1,N], chunk_block [1,N], mem_* [1,H,M,Dh]
                     -> new_* [1,H,N,Dh], attention [L,N,M+N], attention_received [L,B,M+N]
     Context chunks attend to the retained memory, to themselves (bidirectionally) and to the chunks before
     them in the same call (chunk_block: the chunk index of each token), so one call may encode several chunks
     exactly as several calls would. The server appends new_* to its memory; `attention` (averaged over
     heads) is what each memory/new token RECEIVES from each of the chunk's queries, per layer;
     `attention_received` is the same averaged over each chunk's queries (B = the call's chunks, chunk_block
     0..B-1 in order): the NAMM's input, small enough to fetch on every call (server/src/memory/).
  diffusion_denoise  canvas_ids [1,C], canvas_pos [1,C], masked [K], mem_* -> logits [K,V]
     Logits only at the masked canvas slots the sampler asks about (computing all positions costs more on
     the CPU). Control tokens other than <eos> get -1e9 so the sampler never proposes them.
  ar_step            ids [1,N], pos [1,N], past_* [1,H,P,Dh] -> logits [1,V] (last position), present_* [1,H,P+N,Dh]
                     (causal; prefill with P=0, then N=1 per token)
Positions follow data.py: prefix 0..P-1, canvas P..P+C-1, suffix from P+64; chunks of 64 context tokens.
Writes *.onnx (fp32) and *.int8.onnx (quantize.py), and spec.json (names, shapes, constants; parity and latency
where onnxruntime for Python is installed, as on the GPU box; elsewhere the server's parity test checks them).
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
from model import Config, Transformer, SHAPES, rope_tables, EOS, MASK  # noqa: E402
import data as D  # noqa: E402

N_CONTROL = 10


def kv_names(prefix: str, n_layer: int) -> list[str]:
    """Per-layer K/V tensor names, k and v interleaved: prefix_k_0, prefix_v_0, prefix_k_1, ..."""
    return [f"{prefix}_{kv}_{i}" for i in range(n_layer) for kv in "kv"]


class Encode(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m

    def forward(self, chunk_ids, chunk_pos, chunk_block, *mem):
        cfg = self.m.cfg
        rope = rope_tables(chunk_pos[0], cfg.head_dim, cfg.rope_theta)
        blk = chunk_block[0]
        causal = blk[:, None] >= blk[None, :]          # a chunk sees itself and the chunks before it in this call
        x = self.m.embed(chunk_ids[0])                  # [N,D]
        # Per chunk of this call, the mean over its queries: share [B,N] (B chunks; row b averages chunk b's
        # queries), so `attention_received` is [L,B,M+N] and no [N,M+N] matrix has to leave the graph.
        chunks = torch.arange(blk.max() + 1, device=blk.device)
        member = (chunks[:, None] == blk[None, :]).to(x.dtype)      # [B,N]
        share = member / member.sum(1, keepdim=True)
        new, atts, received = [], [], []
        for i, b in enumerate(self.m.blocks):
            a, k, v, p = b.attn.forward_with_memory(b.ln1(x), rope, mem[2 * i], mem[2 * i + 1], self_mask=causal)
            x = x + a
            x = x + b.mlp(b.ln2(x))
            head_mean = p.mean(0)                         # p [H,N,M+N] -> [N,M+N]
            new += [k, v]; atts.append(head_mean); received.append(share @ head_mean)
        return (*new, torch.stack(atts), torch.stack(received))


class Denoise(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m
        ban = torch.zeros(m.cfg.vocab_size)
        ban[:N_CONTROL] = -1e9
        ban[EOS] = 0.0
        self.register_buffer("ban", ban)

    def forward(self, canvas_ids, canvas_pos, masked, *mem):
        cfg = self.m.cfg
        rope = rope_tables(canvas_pos[0], cfg.head_dim, cfg.rope_theta)
        x = self.m.embed(canvas_ids[0])                 # [C,D]
        for i, b in enumerate(self.m.blocks):
            a, _, _, _ = b.attn.forward_with_memory(b.ln1(x), rope, mem[2 * i], mem[2 * i + 1])
            x = x + a
            x = x + b.mlp(b.ln2(x))
        h = self.m.ln_f(x.index_select(0, masked))                         # [K,D]
        return self.m.logits(h) + self.ban


class ARStep(nn.Module):
    def __init__(self, m: Transformer):
        super().__init__()
        self.m = m

    def forward(self, ids, pos, *past):
        cfg = self.m.cfg
        N = ids.shape[1]
        rope = rope_tables(pos[0], cfg.head_dim, cfg.rope_theta)
        causal = torch.ones(N, N, dtype=torch.bool, device=ids.device).tril()
        x = self.m.embed(ids[0])                        # [N,D]
        present = []
        for i, b in enumerate(self.m.blocks):
            pk, pv = past[2 * i], past[2 * i + 1]
            a, k, v, _ = b.attn.forward_with_memory(b.ln1(x), rope, pk, pv, self_mask=causal)
            x = x + a
            x = x + b.mlp(b.ln2(x))
            present += [torch.cat([pk, k], 2), torch.cat([pv, v], 2)]
        h = self.m.ln_f(x[-1:])
        return (self.m.logits(h), *present)


def empty_mem(cfg, M=0):
    """Per-layer K/V of M tokens (zeros), as the graphs take them: 2L tensors [1,H,M,Dh]."""
    return [np.zeros((1, cfg.n_head, M, cfg.head_dim), np.float32) for _ in range(2 * cfg.n_layer)]


def onnx_export(module, args, path, inputs, outputs, dyn):
    kw = dict(input_names=inputs, output_names=outputs, dynamic_axes=dyn, opset_version=17, dynamo=False)
    try:
        torch.onnx.export(module, args, str(path), external_data=False, **kw)
    except TypeError:  # older torch (< 2.5) has neither the external_data nor the dynamo keyword
        kw.pop("dynamo")
        torch.onnx.export(module, args, str(path), **kw)


def pin_kv_shapes(path: Path, names: list[str], cfg: Config, tokens: str):
    """The exporter loses the static dims of K outputs that pass through rotary (it names them Cast..._dim_0):
    write them down as [1, H, tokens, Dh] so the graph's signature says what it gives."""
    import onnx
    model = onnx.load(str(path))
    for o in model.graph.output:
        if o.name in names:
            for d, v in zip(o.type.tensor_type.shape.dim, (1, cfg.n_head, tokens, cfg.head_dim)):
                d.Clear()
                if isinstance(v, str):
                    d.dim_param = v
                else:
                    d.dim_value = v
    onnx.save(model, str(path))


def export_diffusion(m: Transformer, out: Path, name="diffusion"):
    cfg = m.cfg
    mem = tuple(torch.randn(1, cfg.n_head, 10, cfg.head_dim) for _ in range(2 * cfg.n_layer))
    mem_names, new_names = kv_names("mem", cfg.n_layer), kv_names("new", cfg.n_layer)
    mem_dyn = {n: {2: "M"} for n in mem_names}
    onnx_export(Encode(m).eval(), (torch.randint(10, 100, (1, 7)), torch.arange(7)[None] + 10, torch.tensor([[0, 0, 0, 1, 1, 1, 1]])) + mem,
                out / f"{name}_encode.onnx", ["chunk_ids", "chunk_pos", "chunk_block"] + mem_names, new_names + ["attention", "attention_received"],
                {"chunk_ids": {1: "N"}, "chunk_pos": {1: "N"}, "chunk_block": {1: "N"}, **mem_dyn,
                 **{n: {2: "N"} for n in new_names}, "attention": {1: "N", 2: "M_plus_N"},
                 "attention_received": {1: "B", 2: "M_plus_N"}})
    pin_kv_shapes(out / f"{name}_encode.onnx", new_names, cfg, "N")
    onnx_export(Denoise(m).eval(), (torch.randint(10, 100, (1, 8)), torch.arange(8)[None] + 10, torch.tensor([1, 3, 5])) + mem,
                out / f"{name}_denoise.onnx", ["canvas_ids", "canvas_pos", "masked"] + mem_names, ["logits"],
                {"canvas_ids": {1: "C"}, "canvas_pos": {1: "C"}, "masked": {0: "K"}, **mem_dyn, "logits": {0: "K"}})


def export_ar(m: Transformer, out: Path, name="ar"):
    cfg = m.cfg
    past = tuple(torch.randn(1, cfg.n_head, 10, cfg.head_dim) for _ in range(2 * cfg.n_layer))
    past_names, present_names = kv_names("past", cfg.n_layer), kv_names("present", cfg.n_layer)
    onnx_export(ARStep(m).eval(), (torch.randint(10, 100, (1, 3)), torch.arange(3)[None] + 10) + past,
                out / f"{name}_step.onnx", ["ids", "pos"] + past_names, ["logits"] + present_names,
                {"ids": {1: "N"}, "pos": {1: "N"}, **{n: {2: "P"} for n in past_names}, **{n: {2: "P_plus_N"} for n in present_names}})
    pin_kv_shapes(out / f"{name}_step.onnx", present_names, cfg, "P_plus_N")


def quantize(src: Path) -> Path:
    """int8 weights, per output channel (quantize.py: onnx + numpy only, so it runs wherever export does)."""
    from quantize import quantize_file
    dst = src.with_suffix(".int8.onnx")
    quantize_file(src, dst)
    return dst


def have_ort() -> bool:
    try:
        import onnxruntime  # noqa: F401
        return True
    except ImportError:
        return False


def session(path, threads=2):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def top16(logits: np.ndarray):
    logp = torch.log_softmax(torch.tensor(logits), -1).numpy()
    top = np.argsort(-logp, -1)[:, :16]
    return top.tolist(), np.take_along_axis(logp, top, -1).round(5).tolist()


def diffusion_reference(m: Transformer, seed=0):
    """A fixed input (150 prefix + 40 suffix tokens, a 16-slot canvas with 9 masked slots) and the training-time
    joint forward's logits at the masked slots (data.py layout + diffusion_mask): what the graphs must match."""
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
    return {"prefix": prefix, "suffix": suffix, "canvas": canvas, "masked": masked, "ex": ex, "ref": ref}


def ar_reference(m: Transformer, seed=0, n=40, prompt=30):
    """40 tokens; the causal forward's logits at positions 29..39 (a 30-token prompt, then one token at a time)."""
    g = np.random.default_rng(seed)
    seq = g.integers(10, m.cfg.vocab_size, n)
    with torch.no_grad():
        ref = m(torch.tensor(seq)[None], torch.arange(n)[None], causal=True)[0].numpy()   # [n,V]
    return {"seq": seq, "prompt": prompt, "ref": ref[prompt - 1:]}


def write_fixture(path, diff: Transformer | None, ar: Transformer | None):
    """Inputs and PyTorch's top-16 log-probabilities, for the server's parity test (test/unit/completionParity.test.ts
    runs the shipped int8 graphs through the server's own code on the same inputs)."""
    out = {"what": "training/completion/export.py write_fixture: inputs and the PyTorch reference (fp32) as top-16 "
                   "log-probabilities; diffusion: per masked canvas slot (training-time joint forward); ar: after a "
                   "30-token prompt and after each of the next 10 tokens (causal forward)"}
    if diff is not None:
        r = diffusion_reference(diff)
        top, lp = top16(r["ref"])
        out.update({"prefix_ids": r["prefix"].tolist(), "suffix_ids": r["suffix"].tolist(), "canvas_ids": r["canvas"].tolist(),
                    "masked": r["masked"].tolist(), "top_ids": top, "top_logprobs": lp})
    if ar is not None:
        r = ar_reference(ar)
        top, lp = top16(r["ref"])
        out["ar"] = {"ids": r["seq"].tolist(), "prompt": r["prompt"], "top_ids": top, "top_logprobs": lp}
    Path(path).write_text(json.dumps(out))


def run_encode(se, cfg, ids, pos, blocks):
    """Encode context in calls of whole chunks (`blocks`: the chunk index of each token) -> per-layer memory."""
    mem = empty_mem(cfg)
    names = kv_names("mem", cfg.n_layer)
    # Only the inputs the graph has: newer torch exporters drop the last layer's memory V from the encode graph
    # (nothing the graph returns depends on it), and onnxruntime refuses a feed it does not know.
    taken = {i.name for i in se.get_inputs()}
    for a, b in blocks:
        feed = {"chunk_ids": ids[None, a:b], "chunk_pos": pos[None, a:b], "chunk_block": np.zeros((1, b - a), np.int64),
                **{n: v for n, v in zip(names, mem) if n in taken}}
        outs = se.run(None, feed)
        mem = [np.concatenate([old, new], 2) for old, new in zip(mem, outs[:-2])]
    return mem


def parity_diffusion(m: Transformer, enc_path, den_path, seed=0):
    cfg = m.cfg
    r = diffusion_reference(m, seed)
    P, S, C = len(r["prefix"]), len(r["suffix"]), len(r["canvas"])
    se, sd = session(enc_path), session(den_path)
    # ONNX: prefix chunks 0-63, 64-127, 128-149, then the suffix chunk, then the canvas
    mem = run_encode(se, cfg, r["ex"]["ids"][:P + S], r["ex"]["pos"][:P + S], ((0, 64), (64, 128), (128, P), (P, P + S)))
    logits = sd.run(None, {"canvas_ids": r["canvas"][None].astype(np.int64), "canvas_pos": r["ex"]["pos"][None, P + S:P + S + C],
                           "masked": r["masked"].astype(np.int64), **dict(zip(kv_names("mem", cfg.n_layer), mem))})[0]
    ref = r["ref"]
    ok = ref > -1e8
    return {"max_abs_diff": float(np.abs(logits[ok] - ref[ok]).max()),
            "argmax_agree": float((logits.argmax(-1) == ref.argmax(-1)).mean())}


def parity_ar(m: Transformer, path, seed=0):
    cfg = m.cfg
    r = ar_reference(m, seed)
    seq, n0, ref = r["seq"], r["prompt"], r["ref"]
    s = session(path)
    names = kv_names("past", cfg.n_layer)
    past = empty_mem(cfg)
    diffs, agree = [], []
    feeds = [(seq[None, :n0], np.arange(n0)[None])] + [(seq[None, i:i + 1], np.array([[i]])) for i in range(n0, len(seq))]
    for j, (ids, pos) in enumerate(feeds):  # the prompt, then one token at a time with the cache
        lg, *past = s.run(None, {"ids": ids, "pos": pos, **dict(zip(names, past))})
        diffs.append(np.abs(lg[0] - ref[j]).max()); agree.append(lg[0].argmax() == ref[j].argmax())
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
    V = cfg.vocab_size
    res = {}
    se, sd = session(enc_path, threads), session(den_path, threads)
    mem = lambda M, prefix: dict(zip(kv_names(prefix, cfg.n_layer), [g.standard_normal(x.shape[:2] + (M,) + x.shape[3:]).astype(np.float32) for x in empty_mem(cfg)]))
    for N, M in ((64, 0), (64, 448), (256, 256)):
        feed = {"chunk_ids": g.integers(10, V, (1, N)), "chunk_pos": np.arange(M, M + N)[None],
                "chunk_block": (np.arange(N) // 64)[None], **mem(M, "mem")}
        res[f"encode N={N} M={M}"] = bench(lambda: se.run(None, feed))
    for C, M, K in ((16, 512, 16), (32, 512, 32), (32, 512, 8), (64, 512, 64)):
        feed = {"canvas_ids": g.integers(10, V, (1, C)), "canvas_pos": np.arange(384, 384 + C)[None], "masked": np.arange(K), **mem(M, "mem")}
        res[f"denoise C={C} M={M} K={K}"] = bench(lambda: sd.run(None, feed))
    return res


def latency_ar(cfg, path, threads=2):
    g = np.random.default_rng(0)
    s = session(path, threads)
    res = {}
    for N, P in ((520, 0), (1, 520)):
        past = {n: g.standard_normal(x.shape[:2] + (P,) + x.shape[3:]).astype(np.float32)
                for n, x in zip(kv_names("past", cfg.n_layer), empty_mem(cfg))}
        feed = {"ids": g.integers(10, cfg.vocab_size, (1, N)), "pos": np.arange(P, P + N)[None], **past}
        res[f"ar N={N} P={P}"] = bench(lambda: s.run(None, feed), n=10 if N > 1 else 30)
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
                    help="only write the fp32 graphs (no int8, parity or latency); "
                         "used for the server's test fixture: --random tiny --fp32-only")
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--spec", default="", help="also write the spec here (e.g. training/completion/spec.json)")
    ap.add_argument("--parity-fixture", default="", help="write the parity inputs + PyTorch references here (JSON)")
    args = ap.parse_args()
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    spec = {"layout": {"max_prefix": D.MAX_PREFIX, "max_suffix": D.MAX_SUFFIX, "suffix_gap": D.GAP, "chunk": D.CHUNK,
                       "canvas_buckets": list(D.BUCKETS), "max_span": D.MAX_SPAN,
                       "positions": "prefix 0..P-1, canvas P..P+C-1, suffix P+suffix_gap..; AR: 0..n-1 over the PSM sequence"},
            "special_ids": {"pad": 0, "eos": 1, "mask": 2, "fim_prefix": 3, "fim_suffix": 4, "fim_middle": 5},
            "sampler": {"threshold": 0.3, "canvas_single_line": 16, "canvas_multi_line": 48, "canvas_max": 64,
                        "block_window": 4,
                        "block_window_rule": "a block commits only among its first block_window masked slots, the surest first (bench:completion's diffusion_windowN systems chose it)",
                        "canvas_rule": "the first canvas per mode; it doubles (up to canvas_max) while a span fills it without ending",
                        "eos_rule": "end: only masked slots before the first slot whose best token is <eos> are eligible; "
                                    "that <eos> only once it is the leftmost masked slot, or in the same pass as the last slots before it when they and it clear the threshold (eval.py diffusion_generate)"}, "graphs": {}}
    models = []
    if args.random:
        cfg = Config(**{**SHAPES[args.random].to_dict(), "vocab_size": args.vocab})
        m = Transformer(cfg).eval()
        models = [("diffusion", m, {"random": args.random}), ("ar", m, {"random": args.random})]
    if args.diffusion:
        m, ck = load(args.diffusion); models.append(("diffusion", m, {"checkpoint": args.diffusion, "step": ck.get("step")}))
    if args.ar:
        m, ck = load(args.ar); models.append(("ar", m, {"checkpoint": args.ar, "step": ck.get("step")}))
    if args.parity_fixture:
        pick = lambda k: next((m for kind, m, _ in models if kind == k), None)
        write_fixture(args.parity_fixture, pick("diffusion"), pick("ar"))
    ort_here = have_ort()
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
        # Without onnxruntime (Python) here, parity is the server's test: test/unit/completionParity.test.ts.
        parity = (lambda *f: parity_diffusion(m, *f)) if kind == "diffusion" else (lambda *f: parity_ar(m, *f))
        if ort_here:
            info["parity_fp32"], info["parity_int8"] = parity(*files), parity(*q)
        kvs = lambda n, t: f"{n}_k_0, {n}_v_0, .. {n}_k_{L - 1}, {n}_v_{L - 1}: float32 [1,{H},{t},{Dh}] each"
        if kind == "diffusion":
            spec["graphs"]["diffusion_encode"] = {
                "inputs": {"chunk_ids": "int64 [1,N]", "chunk_pos": "int64 [1,N]",
                           "chunk_block": "int64 [1,N] (a token sees the memory and this call's tokens of the same or a lower block)",
                           "memory": kvs("mem", "M")},
                "outputs": {"new": kvs("new", "N"),
                            "attention": f"float32 [{L},N,M+N] (head mean; attention each key receives from each query)",
                            "attention_received": f"float32 [{L},B,M+N] (B = chunks in the call, chunk_block 0..B-1; "
                                                  "head mean and mean over chunk b's queries of the attention each key "
                                                  "receives: what the memory brain reads, server/src/memory/)"}}
            spec["graphs"]["diffusion_denoise"] = {
                "inputs": {"canvas_ids": "int64 [1,C]", "canvas_pos": "int64 [1,C]", "masked": "int64 [K] (canvas slots to score)",
                           "memory": kvs("mem", "M")},
                "outputs": {"logits": f"float32 [K,{cfg.vocab_size}] (control ids except eos = -1e9)"}}
        else:
            spec["graphs"]["ar_step"] = {
                "inputs": {"ids": "int64 [1,N]", "pos": "int64 [1,N]", "past": kvs("past", "P")},
                "outputs": {"logits": f"float32 [1,{cfg.vocab_size}] (last position)", "present": kvs("present", "P+N")}}
        print(kind, json.dumps({k: v for k, v in info.items() if k != "config"}, indent=1), flush=True)
        if not args.no_latency and ort_here:
            if kind == "diffusion":
                info["latency_2threads"] = {"fp32": latency(cfg, files[0], files[1]), "int8": latency(cfg, q[0], q[1])}
            else:
                info["latency_2threads"] = {"fp32": latency_ar(cfg, files[0]), "int8": latency_ar(cfg, q[0])}
            print(kind, "latency", json.dumps(info["latency_2threads"], indent=1), flush=True)
        spec[f"{kind}_model"] = info
    (out / "spec.json").write_text(json.dumps(spec, indent=1))
    if args.spec:
        Path(args.spec).write_text(json.dumps(spec, indent=1))


if __name__ == "__main__":
    main()
