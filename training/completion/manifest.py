#!/usr/bin/env python3
"""Write the completion entry of models/manifest.json from the exported graphs (already copied into models/),
the export's spec.json and the held-out evaluation (eval.py --out).

  python3 training/completion/manifest.py --spec RUN/onnx/spec.json --eval RUN/e2/eval-all.json --train RUN/d/done.json \
      --train RUN/e1/done.json --train RUN/e2/done.json

Files: tokenizer (entry kept), encode + denoise (diffusion, int8: what the server runs), ar (the AR twin, int8,
marked optional: the benchmark's baseline, left out of the VSIX). Only brains.completion is replaced.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os

import onnx

DTYPES = {1: "float32", 7: "int64", 6: "int32", 9: "bool"}
FILES = {"encode": "completion-encode.int8.onnx", "denoise": "completion-denoise.int8.onnx", "ar": "completion-ar.int8.onnx"}


def describe(path):
    m = onnx.load(path)
    sig = lambda vis: [{"name": v.name, "dtype": DTYPES.get(v.type.tensor_type.elem_type, str(v.type.tensor_type.elem_type)),
                        "shape": [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]} for v in vis]
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return {"file": os.path.basename(path), "sha256": sha, "bytes": os.path.getsize(path),
            "opset": m.opset_import[0].version, "inputs": sig(m.graph.input), "outputs": sig(m.graph.output)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--train", action="append", default=[],
                    help="done.json of a training stage (train.py / distill.py: steps, tokens); repeat it for each stage")
    ap.add_argument("--models", default="models")
    ap.add_argument("--data", default="training split of code corpus v2 (training/data/CORPUS.md): Python, TypeScript and "
                    "JavaScript from Debian bookworm packages and their upstream sources, pinned permissive npm packages and "
                    "the Python standard library; the diffusion model's last stages (distill.py) also learn its own "
                    "decoded answers for training-split contexts",
                    help="the manifest's description of the training data")
    a = ap.parse_args()
    spec = json.load(open(a.spec))
    ev = json.load(open(a.eval))["summary"]["table"]
    path = os.path.join(a.models, "manifest.json")
    manifest = json.load(open(path))
    old = manifest["brains"].get("completion", {"files": {}})
    files = {"tokenizer": old["files"]["tokenizer"]}
    for key, name in FILES.items():
        full = os.path.join(a.models, name)
        if not os.path.exists(full):
            continue
        kind = "ar_model" if key == "ar" else "diffusion_model"
        files[key] = {**describe(full), "params": spec[kind]["params"],
                      "precision": "int8 weights, one scale per output channel, 7-bit range (training/completion/quantize.py); "
                                   "activations quantized per call (onnxruntime DynamicQuantizeMatMul); the rest float32",
                      **{k: spec[kind][k] for k in ("parity_int8", "parity_fp32") if k in spec[kind]},
                      "parity_test": "test/unit/completionParity.test.ts (the shipped graph through the server's code vs PyTorch)"}
        if key == "ar":
            files[key]["optional"] = True
            files[key]["note"] = "the autoregressive twin: the benchmark's baseline (decoder 'autoregressive'); not in the VSIX"
    cfg = spec["diffusion_model"]["config"]
    lay = spec["layout"]
    metric = lambda sys_, cell: {k: round(ev[sys_][cell][k], 4) for k in ("n", "exact_match", "edit_similarity", "tokens_per_forward")}
    cells = [f"{lang}/{kind}" for lang in ("all", "typescript", "javascript", "python") for kind in ("single_line", "multi_line", "all")]
    manifest["brains"]["completion"] = {
        "files": files,
        "spec": {"nLayer": cfg["n_layer"], "nHead": cfg["n_head"], "headDim": cfg["d_model"] // cfg["n_head"],
                 "vocabSize": cfg["vocab_size"], "chunk": lay["chunk"], "suffixGap": lay["suffix_gap"],
                 "canvasSingleLine": spec["sampler"]["canvas_single_line"], "canvasMultiLine": spec["sampler"]["canvas_multi_line"],
                 "canvasMax": spec["sampler"]["canvas_max"],
                 **({"blockWindow": spec["sampler"]["block_window"]} if "block_window" in spec["sampler"] else {}),
                 **({"lineWindow": spec["sampler"]["line_window"]} if "line_window" in spec["sampler"] else {})},
        "config": cfg,
        "data": a.data,
        "training": {"stages": [{"file": f, **json.load(open(f))} for f in a.train]} if a.train else None,
        "heldout": {"set": "bench/data/infill-heldout.jsonl.gz (1200 cases from held-out packages)",
                    "pytorch_eval": {s: {c: metric(s, c) for c in cells} for s in ev}},
        "model_card": "MODEL_CARD.md#completion",
    }
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote brains.completion of {path}: {sorted(files)}")


if __name__ == "__main__":
    main()
