// A one-node ONNX graph, Softmax over the last axis of a float [rows, vocab] tensor, written as protobuf
// bytes here (no file to ship, nothing to download). The denoiser returns logits for 12288 ids per
// masked slot; normalising them with Math.exp in JavaScript cost ~9 ms per pass on 2 cores (a quarter of
// a suggestion's time), onnxruntime's vectorised kernel a fraction of that.
//
// Only the few protobuf fields the graph needs are written (field numbers from onnx.proto):
//   ModelProto      1 ir_version, 7 graph, 8 opset_import
//   OperatorSetId   1 domain, 2 version
//   GraphProto      1 node, 2 name, 11 input, 12 output
//   NodeProto       1 input, 2 output, 4 op_type, 5 attribute
//   AttributeProto  1 name, 3 i, 20 type (2 = INT)
//   ValueInfoProto  1 name, 2 type → TypeProto 1 tensor_type → 1 elem_type (1 = FLOAT), 2 shape → 1 dim → 2 dim_param

import type { InferenceSession } from 'onnxruntime-node';
import { createCpuSession } from './models';

const IR_VERSION = 8;
const OPSET = 13; // Softmax-13: normalises along `axis` alone

/** Base-128 varint; a negative int64 is written as its 64-bit two's complement (10 bytes). */
function varint(value: number): number[] {
  let n = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (n > 0x7fn) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

/** A varint field. */
function int(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}

/** A length-delimited field: a string or an embedded message. */
function bytes(field: number, value: number[] | string): number[] {
  const body = typeof value === 'string' ? [...new TextEncoder().encode(value)] : value;
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

/** A float tensor input or output whose dimensions are all symbolic. */
function floatTensor(name: string, dims: string[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, bytes(2, d)));
  const tensorType = [...int(1, 1), ...bytes(2, shape)];
  return [...bytes(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** The model: `logits` float [rows, vocab] → `probs` float [rows, vocab], softmax along the last axis. */
export function softmaxModelBytes(): Uint8Array {
  const axis = [...bytes(1, 'axis'), ...int(3, -1), ...int(20, 2)];
  const node = [...bytes(1, 'logits'), ...bytes(2, 'probs'), ...bytes(4, 'Softmax'), ...bytes(5, axis)];
  const graph = [
    ...bytes(1, node),
    ...bytes(2, 'softmax_last_axis'),
    ...bytes(11, floatTensor('logits', ['rows', 'vocab'])),
    ...bytes(12, floatTensor('probs', ['rows', 'vocab'])),
  ];
  const model = [...int(1, IR_VERSION), ...bytes(7, graph), ...bytes(8, [...bytes(1, ''), ...int(2, OPSET)])];
  return Uint8Array.from(model);
}

/** A session running that graph with the brains' CPU options. */
export function openSoftmax(): Promise<InferenceSession> {
  return createCpuSession(softmaxModelBytes());
}
