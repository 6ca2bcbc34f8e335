#!/usr/bin/env python3
"""Models folders for the latency frontier: the shipped diffusion model grown into each candidate shape.

  /usr/bin/python3 training/completion/frontier.py --out /tmp/frontier d256l8 d256l12 d320l8 d384l8 ...
  node --import tsx training/completion/frontier.ts /tmp/frontier/d256l8 /tmp/frontier/d256l12 ... --limit 120

Why grown weights and not random ones: the time of a suggestion is passes x the cost of a pass, and the number
of passes depends on how sure the model is. A shape grown from the shipped model (grow.py) computes the same
function, so through the server it decodes the same answers in the same passes as the shipped model, and its
timing is what that shape costs on the real paths (cold, warm, after Enter) at today's confidence. The int8
graphs of every shape are quantized exactly like the shipped ones (export.py -> quantize.py).

Each folder holds the int8 encode / denoise graphs, models/tokenizer.json and a manifest.json whose completion
entry is the shipped one with the shape and files replaced (manifest.py's describe()).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shapes", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--graph", default=str(REPO / "models/completion-denoise.int8.onnx"), help="the shipped model to grow")
    a = ap.parse_args()
    from manifest import describe
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    base = out / "base.pt"
    py = sys.executable
    if not base.exists():
        subprocess.run([py, str(HERE / "from_onnx.py"), a.graph, str(base)], check=True)
    shipped = json.loads((REPO / "models/manifest.json").read_text())
    for shape in a.shapes:
        d = out / shape
        d.mkdir(exist_ok=True)
        ck = d / "grown.pt"
        subprocess.run([py, str(HERE / "grow.py"), str(base), "--shape", shape, str(ck), "--check"], check=True)
        subprocess.run([py, str(HERE / "export.py"), "--diffusion", str(ck), "--out", str(d / "onnx"), "--no-latency"], check=True,
                       stdout=subprocess.DEVNULL)
        shutil.copy(d / "onnx/diffusion_encode.int8.onnx", d / "completion-encode.int8.onnx")
        shutil.copy(d / "onnx/diffusion_denoise.int8.onnx", d / "completion-denoise.int8.onnx")
        shutil.copy(REPO / "models/tokenizer.json", d / "tokenizer.json")
        spec = json.loads((d / "onnx/spec.json").read_text())["diffusion_model"]
        cfg = spec["config"]
        m = json.loads(json.dumps(shipped))
        c = m["brains"]["completion"]
        c["files"] = {"tokenizer": c["files"]["tokenizer"],
                      "encode": {**describe(str(d / "completion-encode.int8.onnx")), "params": spec["params"]},
                      "denoise": {**describe(str(d / "completion-denoise.int8.onnx")), "params": spec["params"]}}
        c["spec"].update({"nLayer": cfg["n_layer"], "nHead": cfg["n_head"], "headDim": cfg["d_model"] // cfg["n_head"]})
        c["config"] = cfg
        (d / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
        shutil.rmtree(d / "onnx")
        print(f"{shape}: {spec['params'] / 1e6:.2f}M params, encode {c['files']['encode']['bytes'] / 1e6:.1f} MB, "
              f"denoise {c['files']['denoise']['bytes'] / 1e6:.1f} MB -> {d}", flush=True)


if __name__ == "__main__":
    main()
