#!/usr/bin/env python3
"""int8 weights for the completion graphs, with onnx and numpy alone (no onnxruntime needed where we export).

  python3 training/completion/quantize.py SRC.onnx DST.int8.onnx [--bits 7]

* Every MatMul whose right-hand side is a 2-D weight becomes one onnxruntime `DynamicQuantizeMatMul`
  (com.microsoft): the activations are quantized to uint8 on the fly, the weights are stored as int8 with one
  scale per output column (symmetric, zero point 0). Per column, because one outlier column (a frequent
  token's row of the tied output head, say) would otherwise coarsen every other column's grid.
* Every Gather from a 2-D weight (the token embedding) gathers int8 rows and their per-row scales, then
  multiplies: only the looked-up rows are turned back into floats.
* A MatMul weight that is the transpose of a gathered one (the tied output head: PyTorch's export writes the
  embedding twice, once transposed) is stored once: the head reads the embedding's int8 rows through a Transpose,
  which onnxruntime folds into a constant when the session loads. Its per-column int8 values and scales are the
  embedding's per-row ones (checked), so the graph computes exactly what it did with two copies, in a file one
  vocabulary x width int8 matrix smaller (4.7 MB at d384).
* `bits` 7 (the default) keeps weights in [-63, 63]: x86 CPUs without VNNI (AVX2, as on our 2-core target)
  multiply uint8 by int8 in pairs that are summed into int16, which saturates for 8-bit weights
  (255 * 127 * 2 > 32767); 7-bit weights cannot overflow it.
Everything else (norms, rotary, softmax, attention over the memory) stays float32.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def int8_columns(w: np.ndarray, bits: int, axis: int):
    """Symmetric quantization along `axis` (the scale is shared by the values that vary along it)."""
    top = 2 ** (bits - 1) - 1
    scale = np.abs(w).max(axis=axis, keepdims=True) / top
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -top, top).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_model(model: onnx.ModelProto, bits: int = 7) -> onnx.ModelProto:
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    weight = lambda name: numpy_helper.to_array(inits[name]) if name in inits and len(inits[name].dims) == 2 \
        and inits[name].data_type == TensorProto.FLOAT else None
    added: dict[str, onnx.TensorProto] = {}
    nodes = []
    is_lookup = lambda n: n.op_type == "Gather" and weight(n.input[0]) is not None and not any(a.name == "axis" and a.i != 0 for a in n.attribute)
    looked_up = {n.input[0] for n in g.node if is_lookup(n)}

    def rows(name: str) -> np.ndarray:
        """The int8 rows of a looked-up weight [V,D] (one scale per row), added once; returns them."""
        if name + "_rows_q" not in added:
            q, s = int8_columns(weight(name), bits, axis=1)
            added[name + "_rows_q"] = numpy_helper.from_array(q, name + "_rows_q")
            added[name + "_rows_scale"] = numpy_helper.from_array(s, name + "_rows_scale")
        return numpy_helper.to_array(added[name + "_rows_q"])

    for n in g.node:
        if n.op_type == "MatMul" and (w := weight(n.input[1])) is not None:
            name = n.input[1]
            if name + "_scale" not in added:
                q, s = int8_columns(w, bits, axis=0)                       # w [K,N]: one scale per column
                tied = next((t for t in looked_up if weight(t).shape == w.T.shape and np.array_equal(weight(t), w.T)), None)
                if tied is not None and np.array_equal(rows(tied), q.T):
                    nodes.append(helper.make_node("Transpose", [tied + "_rows_q"], [name + "_q"], perm=[1, 0], name=name + "_tied"))
                else:
                    added[name + "_q"] = numpy_helper.from_array(q, name + "_q")
                added[name + "_scale"] = numpy_helper.from_array(s.reshape(-1), name + "_scale")
            nodes.append(helper.make_node("DynamicQuantizeMatMul", [n.input[0], name + "_q", name + "_scale"], list(n.output),
                                          name=n.name + "_int8", domain="com.microsoft"))
        elif is_lookup(n):
            name, out = n.input[0], n.output[0]
            rows(name)                                                     # w [V,D]: one scale per row
            nodes += [helper.make_node("Gather", [name + "_rows_q", n.input[1]], [out + "_q"], name=n.name + "_q"),
                      helper.make_node("Cast", [out + "_q"], [out + "_f"], to=TensorProto.FLOAT, name=n.name + "_cast"),
                      helper.make_node("Gather", [name + "_rows_scale", n.input[1]], [out + "_s"], name=n.name + "_scale"),
                      helper.make_node("Mul", [out + "_f", out + "_s"], [out], name=n.name + "_dequant")]
        else:
            nodes.append(n)
    used = {i for n in nodes for i in n.input}
    kept = [i for i in g.initializer if i.name in used] + [t for k, t in added.items() if k in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def quantize_file(src: Path, dst: Path, bits: int = 7) -> None:
    onnx.save(quantize_model(onnx.load(str(src)), bits), str(dst))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--bits", type=int, default=7)
    a = ap.parse_args()
    quantize_file(Path(a.src), Path(a.dst), a.bits)
    print(f"{a.src} -> {a.dst} ({Path(a.dst).stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
