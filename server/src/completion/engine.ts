// The completion engine: the tokenizer and ONNX sessions the brain runs, opened once per server. Opening
// ends with one tiny completion pass (encode a few tokens, denoise a few slots), so a model that loads but
// cannot run (a tokenizer that does not fit the model, a graph with other shapes) is found at start and
// shown in the status, instead of failing every request with an internal error.
import { DocumentMemory, DiffusionModel, type DiffusionSpec } from './diffusion';
import { AutoregressiveModel } from './autoregressive';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { onnxRuntime } from '../runtime/onnxruntime';
import { sharedTokenizer } from '../runtime/sharedTokenizer';
import { openSoftmax } from '../runtime/softmaxGraph';
import { startupTimings } from '../runtime/startupTimings';
import { SPECIAL_TOKEN_NAMES, type CodeTokenizer } from '../runtime/tokenizer';

export interface Engine {
  tokenizer: CodeTokenizer;
  /** Text of every token id ('' for control tokens): for healing the typed line's last token. */
  tokenText: (id: number) => string;
  model: DiffusionModel;
  /**
   * The benchmark's baseline, null when the manifest does not list the 'ar' file. Its session is opened on
   * first use (and then shared by the registry), so a user of the default diffusion decoder never holds the
   * twin's weights in memory.
   */
  autoregressive: () => Promise<AutoregressiveModel | null>;
}

/** The diffusion model of a models folder, with its manifest spec checked (the engine and the tests open it so). */
export async function openDiffusionModel(registry: ModelRegistry): Promise<{ model: DiffusionModel; spec: DiffusionSpec }> {
  const entry = await registry.brainEntry('completion');
  const spec = entry.spec as DiffusionSpec | undefined;
  const sizes = spec && [spec.nLayer, spec.nHead, spec.headDim, spec.vocabSize, spec.chunk, spec.canvasSingleLine, spec.canvasMultiLine, spec.canvasMax];
  if (!sizes || !sizes.every((n) => Number.isInteger(n) && n > 0)) {
    throw new ModelError('completion', { state: 'corrupt', detail: 'models/manifest.json: the completion entry has no valid "spec"' });
  }
  for (const key of ['blockWindow', 'lineWindow'] as const) {
    const window = spec[key];
    if (window !== undefined && !(Number.isInteger(window) && window > 0)) {
      throw new ModelError('completion', { state: 'corrupt', detail: `models/manifest.json: the completion spec's "${key}" must be a positive integer` });
    }
  }
  if (!validGates(spec.confidenceGate)) {
    throw new ModelError('completion', {
      state: 'corrupt',
      detail: 'models/manifest.json: the completion spec\'s "confidenceGate" must map decoders to modes to numbers in [0, 1]',
    });
  }
  const [encode, denoise, softmax] = await Promise.all([registry.session('completion', 'encode'), registry.session('completion', 'denoise'), openSoftmax()]);
  // The rotary base lets the memory brain renumber kept tokens (memory/kv.ts `moveKeys`).
  const ropeTheta = (entry.config as { rope_theta?: number } | undefined)?.rope_theta;
  return { model: new DiffusionModel({ ...spec, ropeTheta }, encode, denoise, softmax, onnxRuntime().Tensor), spec };
}

/** `confidenceGate` is absent or { decoder: { mode: number in [0, 1] } } with known decoders and modes. */
function validGates(gates: unknown): boolean {
  if (gates === undefined) return true;
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isMap(gates)) return false;
  return Object.entries(gates).every(
    ([decoder, modes]) =>
      ['diffusion', 'autoregressive'].includes(decoder) &&
      isMap(modes) &&
      Object.entries(modes).every(([mode, g]) => ['single_line', 'multi_line'].includes(mode) && typeof g === 'number' && g >= 0 && g <= 1),
  );
}

export async function openEngine(registry: ModelRegistry): Promise<Engine> {
  const [tokenizer, { model, spec }] = await Promise.all([sharedTokenizer(registry), openDiffusionModel(registry)]);
  if (tokenizer.vocabSize > spec.vocabSize) {
    throw new ModelError('completion', {
      state: 'corrupt',
      detail: `models/tokenizer.json has ${tokenizer.vocabSize} tokens; the model knows ${spec.vocabSize} (models/manifest.json)`,
    });
  }
  // Each token's text is decoded the first time it is asked for: decoding all 12288 up front took ~110 ms
  // of start-up (bench/first-suggestion.ts), and a request asks for a few hundred at most.
  // Control tokens and the model's rows past the tokenizer's vocabulary have no text.
  const texts: (string | undefined)[] = new Array(tokenizer.vocabSize);
  const tokenText = (id: number): string => {
    if (!Number.isInteger(id) || id < SPECIAL_TOKEN_NAMES.length || id >= tokenizer.vocabSize) return '';
    return (texts[id] ??= tokenizer.decode([id]));
  };
  await startupTimings.time('selfTest', () => selfTest(model, tokenizer));
  return {
    tokenizer,
    tokenText,
    model,
    autoregressive: async () =>
      (await registry.hasFile('completion', 'ar')) ? new AutoregressiveModel(spec, await registry.session('completion', 'ar'), onnxRuntime().Tensor) : null,
  };
}

/** One encode and one denoising pass on a line of code; throws what the model throws. */
async function selfTest(model: DiffusionModel, tokenizer: CodeTokenizer): Promise<void> {
  const prefix = tokenizer.encode('const answer = 42;\n');
  const kv = await model.encodeContext(new DocumentMemory(), prefix, [], () => false);
  if (!kv) throw new Error('the self-test encode was cancelled');
  const canvas = new Int32Array(4).fill(tokenizer.special.mask);
  const probs = await model.denoise(kv, canvas, prefix.length, [0, 1, 2, 3]);
  if (probs.some((p) => !Number.isFinite(p))) throw new Error('the denoising pass gave non-finite probabilities');
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
