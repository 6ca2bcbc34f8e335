// The one door to onnxruntime-node. Its native library (1.30) carries Microsoft's usage telemetry: unless
// ORT_DISABLE_TELEMETRY is set before the library loads, it looks up and connects to a Microsoft host and
// writes a device id and an event queue under ~/.cache/Microsoft. nanomind promises that nothing leaves the
// machine, so every process loads onnxruntime through here (the server, benchmarks, tests), and the flag
// is set before the first load.
import type * as Ort from 'onnxruntime-node';

export type OnnxRuntime = typeof Ort;

/**
 * onnxruntime-node with its telemetry off. Loaded on first call, not at import, so that a broken native
 * binary fails the brain that asked (call it inside an async function) instead of the whole server.
 */
export function onnxRuntime(): OnnxRuntime {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('onnxruntime-node') as OnnxRuntime;
}
