"""Read a shipped HRM graph (models/hrm-*.onnx) back into PyTorch weights, so training can continue
from what ships even where no checkpoint was kept (the Sudoku model has none in git).

The TorchScript exporter keeps parameter names for biases, norms, embeddings and convolutions, but
stores each nn.Linear weight transposed under a generated name ("onnx::MatMul_802") as the right
input of a MatMul whose output is added to the named bias: that Add names the weight.
The configuration comes from the model's entry in models/manifest.json (brains.reasoning.files).
"""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .model import HRM, HRMConfig, MAZE, SUDOKU


def config_from_manifest(onnx_path: str, manifest_path: str = "models/manifest.json") -> HRMConfig:
    files = json.load(open(manifest_path))["brains"]["reasoning"]["files"]
    entry = next((e for e in files.values() if e["file"] == os.path.basename(onnx_path)), None)
    if entry is None:
        raise SystemExit(f"{manifest_path} has no reasoning entry for {os.path.basename(onnx_path)}")
    family = "sudoku" if entry["n_tokens"] == 81 else "maze"
    c = entry["config"]
    keys = ("d", "expansion", "h_layers", "l_layers", "h_cycles", "l_cycles")
    return HRMConfig(**{**(SUDOKU if family == "sudoku" else MAZE), **{k: c[k] for k in keys},
                        "max_steps": entry["max_act_steps"]})


def state_from_onnx(onnx_path: str, cfg: HRMConfig) -> dict:
    graph = onnx.load(onnx_path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    state = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in inits or node.input[1] in state.values():
            continue
        for add in consumers.get(node.output[0], []):
            bias = next((i for i in add.input if i.endswith(".bias") and i in inits), None) if add.op_type == "Add" else None
            if bias:
                state.setdefault(bias[: -len(".bias")] + ".weight", node.input[1])
    out = {}
    expected = HRM(cfg).state_dict()
    for name, ref in expected.items():
        if name in inits:
            value = inits[name]
        elif name in state:
            value = inits[state[name]].T  # MatMul keeps W^T
        else:
            raise SystemExit(f"{onnx_path}: no weight for {name}")
        if tuple(value.shape) != tuple(ref.shape):
            raise SystemExit(f"{onnx_path}: {name} has shape {value.shape}, the config expects {tuple(ref.shape)}")
        out[name] = torch.from_numpy(np.array(value, copy=True)).float()
    return out


def checkpoint_from_onnx(onnx_path: str) -> dict:
    """A checkpoint dict shaped like train.py's (cfg, ema, it) holding the shipped weights."""
    cfg = config_from_manifest(onnx_path)
    return {"cfg": cfg.to_dict(), "ema": state_from_onnx(onnx_path, cfg), "it": 0}
