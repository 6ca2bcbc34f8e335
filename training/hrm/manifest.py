"""Write the reasoning entry of models/manifest.json: what the TypeScript ACT loop needs to run each
HRM graph (file, sha256, tensor signatures, vocabularies, loop rule, held-out metrics).

  python -m training.hrm.manifest --metrics training/hrm/metrics.json

Only brains.reasoning is replaced; the other brains' entries are kept.

Reads the ONNX files in models/ for hashes and tensor signatures, and a small
metrics file (held-out results measured by eval.py / export.py) for the numbers.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os

import onnx

DTYPES = {1: "float32", 7: "int64", 6: "int32", 9: "bool"}


def signature(vis):
    out = []
    for v in vis:
        t = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        out.append({"name": v.name, "dtype": DTYPES.get(t.elem_type, str(t.elem_type)), "shape": dims})
    return out


def describe(path):
    m = onnx.load(path)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return {"file": os.path.basename(path), "sha256": sha, "bytes": os.path.getsize(path),
            "opset": m.opset_import[0].version,
            "inputs": signature(m.graph.input), "outputs": signature(m.graph.output)}


COMMON = {
    "graph": "one ACT step: (tokens, z_H, z_L) -> (z_H_next, z_L_next, logits, halt_logit); batch dim is dynamic ('batch'), use 1",
    "initial_state": "z_H and z_L all zeros, shape [1, N, hidden_size], float32, for every new puzzle (trained that way)",
    "loop": "for step in 1..max_act_steps: run the graph, feed z_H_next/z_L_next back as z_H/z_L; answer = argmax(logits[0, i, :]) per cell from the LAST step run; stop after the step where halt_logit[0] > 0, or after max_act_steps",
    "halting_rule": "halt when halt_logit[0] > 0 (sigmoid > 0.5), else continue until max_act_steps",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--metrics", default="training/hrm/metrics.json")
    ap.add_argument("--out", default="models/manifest.json")
    a = ap.parse_args()
    metrics = json.load(open(a.metrics))
    fams = {}
    fams["sudoku"] = {
        **describe("models/hrm-sudoku.onnx"),
        **COMMON,
        "n_tokens": 81,
        "grid": [9, 9],
        "cell_order": "row-major: token i = row i // 9, column i % 9",
        "input_vocab": {".": 0, "0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9},
        "input_vocab_note": "blank ('.' or '0') = 0, given digit d = d",
        "output_classes": {"0": "1", "1": "2", "2": "3", "3": "4", "4": "5", "5": "6", "6": "7", "7": "8", "8": "9"},
        "output_note": "class k means digit k+1, predicted for every cell (givens included; the givens should be kept as given)",
    }
    fams["maze"] = {
        **describe("models/hrm-maze.onnx"),
        **COMMON,
        "n_tokens": 900,
        "grid": [30, 30],
        "cell_order": "row-major over the 30x30 canvas: token i = row i // 30, column i % 30",
        "input_vocab": {"#": 0, " ": 1, ".": 1, "S": 2, "G": 3},
        "input_vocab_note": "wall = 0, open = 1, start = 2, goal = 3",
        "padding": "a maze smaller than 30x30 (h rows, w columns) is placed at the top-left corner (row 0..h-1, column 0..w-1); every other canvas cell is a wall (0). Read the answer back from the same top-left h x w window. Trained mazes have an all-wall outer ring, and the network uses no positions, so padding with walls is the same as a walled border",
        "output_classes": {"0": "not on the path", "1": "on the shortest path"},
        "output_note": "the answer path is every cell whose argmax is 1 (S and G included); draw it with 'o' on open cells and verify it by BFS",
    }
    for fam, d in fams.items():
        d.update(metrics[fam])
        for o in d["outputs"]:  # the exporter may name the hidden dim symbolically; it is fixed
            if o["name"] in ("z_H_next", "z_L_next"):
                o["shape"] = ["batch", d["n_tokens"], d["hidden_size"]]
        # The names the server reads (server/src/reasoning/models.ts).
        d["positions"] = d["n_tokens"]
        d["hiddenSize"] = d["hidden_size"]
        d["classes"] = len(d["output_classes"])
        # The loop's step limit; a family may allow more steps at inference than it trained with.
        d["maxSteps"] = d.get("inference_max_steps", d["max_act_steps"])
        if d.get("haltWhenStable"):
            d["halting_rule"] = ("halt when halt_logit[0] > 0 AND the argmax answer equals the previous step's "
                                 "(never at step 1), else continue until max_act_steps")
    manifest = json.load(open(a.out)) if os.path.exists(a.out) else {"version": 1, "brains": {}}
    manifest["brains"]["reasoning"] = {"files": fams, "model_card": "MODEL_CARD.md#reasoning-hrm"}
    with open(a.out, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote brains.reasoning of {a.out}")


if __name__ == "__main__":
    main()
