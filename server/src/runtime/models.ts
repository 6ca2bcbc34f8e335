// The model registry: reads models/manifest.json, checks each file's sha256 the first time it is
// used, and opens ONNX sessions lazily. A missing or corrupt file disables only the brain that needs
// it, with a message naming the file and the reason; the other brains keep working. Reasoning has one
// model per puzzle family: a bad family file turns off that family only, and the status names it.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { BrainName, BrainStatus } from '../protocol';
import { onnxRuntime } from './onnxruntime';
import { startupTimings } from './startupTimings';

/** One file of a brain, as written in the manifest. Shapes and names are for the parity tests. */
export interface ManifestFile {
  file: string;
  sha256: string;
  bytes?: number;
  params?: number;
  /** Not needed to run the brain (the AR twin, used by the benchmark; left out of the VSIX). */
  optional?: boolean;
  inputs?: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs?: { name: string; dtype: string; shape: (number | string)[] }[];
  [extra: string]: unknown;
}

export interface ManifestBrain {
  files: Record<string, ManifestFile>;
  [extra: string]: unknown;
}

export interface Manifest {
  version: number;
  brains: Partial<Record<BrainName, ManifestBrain>>;
}

export class ModelError extends Error {
  constructor(
    readonly brain: BrainName,
    readonly status: BrainStatus,
  ) {
    super(status.detail);
  }
}

/**
 * Creates a session for a model file whose manifest sha256 is `sha256`. `bytes` reads the file and checks it
 * against that sha256; a factory that can create the session without them (from the optimized graph cached
 * the last time those bytes passed the check: runtime/optimizedModels.ts) need not call it.
 */
export type SessionFactory = (sha256: string, bytes: () => Promise<Uint8Array>) => Promise<InferenceSession>;

/** A session from the file's own bytes (no cache). */
export const sessionFromBytes: SessionFactory = async (_sha256, bytes) => createCpuSession(await bytes());

/**
 * The files each brain cannot work without; a brain whose manifest entry lacks one is not installed.
 * Reasoning needs any one family's model (each family is checked when it is solved); its other files are
 * helpers of a family (the conv maze model, a second network for mazes): one that is off leaves the brain
 * ready, and the status says it is off.
 */
const requiredFiles: Record<BrainName, { allOf?: string[]; anyOf?: string[] }> = {
  completion: { allOf: ['tokenizer', 'encode', 'denoise'] },
  memory: { allOf: ['scorer'] },
  reasoning: { anyOf: ['sudoku', 'maze'] },
};

export class ModelRegistry {
  private manifest: Promise<Manifest | ModelError> | undefined;
  /** Files whose sha256 has been checked; their bytes are not kept (sessions hold the weights). */
  private readonly verified = new Set<string>();
  /** Brains whose files `verify` is hashing now: a file of theirs not hashed yet is reported as being checked. */
  private readonly verifying = new Set<BrainName>();
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  /** Why a brain (key: the brain) or one of its files (key: brain/file key) cannot be used. */
  private readonly failures = new Map<string, BrainStatus>();
  /** Which files of a brain are on disk, asked on every keystroke and hover: checked once until a reset. */
  private readonly presence = new Map<BrainName, Promise<Map<string, BrainStatus | null>>>();

  constructor(
    readonly modelsDir: string,
    private readonly createSession: SessionFactory = sessionFromBytes,
    private readonly onChange: () => void = () => {},
  ) {}

  /**
   * Where a brain stands without loading anything heavy: manifest entry present, files on disk, and no
   * failure recorded since (a bad sha256, a session or tokenizer that would not load, a model that would not
   * run). With `part` (a file key, e.g. a puzzle family): whether that part can be used.
   */
  async status(brain: BrainName, part?: string): Promise<BrainStatus> {
    const wide = this.failures.get(brain);
    if (wide) return wide;
    let entry: ManifestBrain;
    try {
      entry = await this.brainEntry(brain);
    } catch (e) {
      if (e instanceof ModelError) return e.status;
      return { state: 'error', detail: String(e) };
    }
    const missing = missingRequired(brain, entry);
    if (missing) return notInstalled(`${relative('manifest.json')} lists no ${missing} file for ${brain}`);
    const files = await this.fileStates(brain, entry);
    if (part !== undefined) {
      if (!entry.files[part]) return notInstalled(`${relative('manifest.json')} lists no '${part}' file for ${brain}`);
      const own = files.get(part);
      if (own) return own;
      // A brain that needs all its files can use none of them while one is bad.
      return requiredFiles[brain].anyOf ? readyStatus(entry) : this.status(brain);
    }
    const bad = [...files].filter((f): f is [string, BrainStatus] => f[1] !== null);
    if (bad.length === 0) return readyStatus(entry);
    if (!requiredFiles[brain].anyOf) {
      const required = bad.find(([key]) => !entry.files[key].optional);
      if (required) return required[1];
      // An optional file (the AR twin) that cannot be used leaves the brain working without it.
      return { state: 'ready', detail: `${readyStatus(entry).detail}; ${bad.map(([key, f]) => `'${key}' off: ${f.detail}`).join('; ')}` };
    }
    // One model per part (puzzle family): each works or fails alone; the status names the ones that are off.
    const good = [...files.keys()].filter((key) => files.get(key) === null);
    const unchecked = (key: string) => this.verifying.has(brain) && !this.verified.has(`${brain}/${key}`);
    const works = good.filter((key) => !unchecked(key));
    const checking = good.filter(unchecked);
    const detail = [
      bad.map(([key, f]) => `${key} off: ${f.detail}`).join('; '),
      works.length ? `${works.join(', ')} works` : '',
      checking.length ? `${checking.join(', ')} being checked` : '',
    ]
      .filter(Boolean)
      .join('; ');
    // A helper that is off (the conv maze model) turns off only itself: every family still works.
    const family = bad.find(([key]) => requiredFiles[brain].anyOf!.includes(key));
    return { state: family ? family[1].state : 'ready', detail };
  }

  /** Per file of a brain: the failure recorded for it, a missing file, or null when nothing is known wrong. */
  private async fileStates(brain: BrainName, entry: ManifestBrain): Promise<Map<string, BrainStatus | null>> {
    let pending = this.presence.get(brain);
    if (!pending) {
      pending = (async () => {
        const present = new Map<string, BrainStatus | null>();
        for (const [key, f] of Object.entries(entry.files)) {
          try {
            await fs.access(path.resolve(this.modelsDir, f.file));
            present.set(key, null);
          } catch {
            if (!f.optional) present.set(key, notInstalled(`${relative(f.file)} is missing`));
          }
        }
        return present;
      })();
      this.presence.set(brain, pending);
    }
    const states = new Map(await pending);
    for (const key of states.keys()) states.set(key, this.failures.get(`${brain}/${key}`) ?? states.get(key)!);
    return states;
  }

  /**
   * Records that a brain (or one file of it, `part`) cannot be used, with the reason: for failures found
   * outside the registry (a tokenizer that does not parse, a model that does not run). The status says so
   * until a reset.
   */
  markFailed(brain: BrainName, status: BrainStatus, part?: string): ModelError {
    return this.fail(brain, status, part);
  }

  /** The manifest entry of a brain, or a ModelError saying why there is none. */
  async brainEntry(brain: BrainName): Promise<ManifestBrain> {
    const manifest = await this.loadManifest(brain);
    const entry = manifest.brains[brain];
    if (!entry || !entry.files || Object.keys(entry.files).length === 0) {
      throw new ModelError(brain, notInstalled(`no ${brain} model in ${relative('manifest.json')}`));
    }
    return entry;
  }

  /** Whether the manifest lists this file for the brain and it is on disk (for optional files). */
  async hasFile(brain: BrainName, key: string): Promise<boolean> {
    try {
      const spec = (await this.brainEntry(brain)).files[key];
      if (!spec) return false;
      await fs.access(path.resolve(this.modelsDir, spec.file));
      return true;
    } catch {
      return false;
    }
  }

  /** The bytes of one file of a brain, checked against the manifest's sha256. */
  async fileBytes(brain: BrainName, key: string): Promise<Uint8Array> {
    const entry = await this.brainEntry(brain);
    const spec = entry.files[key];
    if (!spec) throw this.fail(brain, notInstalled(`${relative('manifest.json')} lists no '${key}' file for ${brain}`), key);
    const bytes = await this.readVerified(brain, key, spec);
    this.verified.add(`${brain}/${key}`);
    return bytes;
  }

  /** Reads and hashes every file of a brain now, so a corrupt file shows in the status at start.
   * An optional file (the benchmark's AR twin, left out of the VSIX) is checked only where it is present. */
  async verify(brain: BrainName): Promise<BrainStatus> {
    this.verifying.add(brain);
    try {
      const entry = await this.brainEntry(brain);
      for (const [key, spec] of Object.entries(entry.files)) {
        if (this.verified.has(`${brain}/${key}`)) continue;
        if (spec.optional && !(await this.hasFile(brain, key))) continue;
        // Every file is checked, so one bad file does not hide another (each family of reasoning stands alone).
        await this.fileBytes(brain, key).catch((e) => {
          if (!(e instanceof ModelError)) throw e;
        });
      }
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
    } finally {
      this.verifying.delete(brain);
    }
    return this.status(brain);
  }

  /** An ONNX session for one file of a brain, created on first use and shared afterwards. */
  async session(brain: BrainName, key: string): Promise<InferenceSession> {
    const cacheKey = `${brain}/${key}`;
    let pending = this.sessions.get(cacheKey);
    if (!pending) {
      pending = (async () => {
        const spec = (await this.brainEntry(brain)).files[key];
        if (!spec) await this.fileBytes(brain, key); // throws: the manifest lists no such file
        // Read and hashed only when the factory needs the bytes. A session from a cached optimized graph does
        // not: that graph was made from bytes that passed this check (it is named by their sha256), and the
        // file itself is checked by `verify` after the first suggestion (main.ts), where a mismatch turns the
        // brain off with the reason in the status, as here.
        let checked: Promise<Uint8Array> | undefined;
        const bytes = () => (checked ??= this.fileBytes(brain, key));
        try {
          return await startupTimings.time('sessions', () => this.createSession(spec.sha256, bytes));
        } catch (e) {
          if (checked) await checked; // a failed check is the reason to report, when there is one
          throw this.fail(brain, { state: 'corrupt', detail: `${relative(spec.file)} could not be loaded: ${firstLine(e)}` }, key);
        }
      })();
      this.sessions.set(cacheKey, pending);
      pending.catch(() => this.sessions.delete(cacheKey));
    }
    return pending;
  }

  /** Forget everything: used when the models folder changes on disk or the user restarts. */
  reset(): void {
    this.manifest = undefined;
    this.verified.clear();
    this.sessions.clear();
    this.failures.clear();
    this.presence.clear();
    this.onChange();
  }

  private async readVerified(brain: BrainName, key: string, spec: ManifestFile): Promise<Uint8Array> {
    const full = path.resolve(this.modelsDir, spec.file);
    let bytes: Buffer;
    try {
      bytes = await readWhole(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw this.fail(
        brain,
        code === 'ENOENT'
          ? notInstalled(`${relative(spec.file)} is missing`)
          : { state: 'error', detail: `${relative(spec.file)} cannot be read: ${firstLine(e)}` },
        key,
      );
    }
    const actual = await startupTimings.time('verify', () => sha256Hex(bytes));
    if (actual !== spec.sha256) {
      throw this.fail(
        brain,
        {
          state: 'corrupt',
          detail: `${relative(spec.file)} is corrupt: sha256 ${actual.slice(0, 12)}… does not match the manifest's ${String(spec.sha256).slice(0, 12)}…`,
        },
        key,
      );
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private loadManifest(brain: BrainName): Promise<Manifest> {
    if (!this.manifest) {
      this.manifest = readManifest(path.resolve(this.modelsDir, 'manifest.json'), brain);
    }
    return this.manifest.then((m) => {
      if (m instanceof ModelError) throw new ModelError(brain, m.status);
      return m;
    });
  }

  /** Records a failure of the brain, or of one of its files (`part`), and announces it. */
  private fail(brain: BrainName, status: BrainStatus, part?: string): ModelError {
    this.failures.set(part === undefined ? brain : `${brain}/${part}`, status);
    this.onChange();
    return new ModelError(brain, status);
  }
}

async function readManifest(file: string, brain: BrainName): Promise<Manifest | ModelError> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return new ModelError(brain, notInstalled(`${relative('manifest.json')} is missing`));
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.brains !== 'object' || parsed.brains === null) {
      throw new Error('it has no "brains" object');
    }
    return parsed;
  } catch (e) {
    return new ModelError(brain, { state: 'corrupt', detail: `${relative('manifest.json')} is not valid: ${firstLine(e)}` });
  }
}

/** An onnxruntime CPU session with the options every brain uses (2 intra-op threads, no spinning). */
export async function createCpuSession(bytes: Uint8Array): Promise<InferenceSession> {
  // Loaded here, not at the top, so a broken native binary disables models instead of the server.
  return onnxRuntime().InferenceSession.create(bytes, cpuSessionOptions);
}

/**
 * The options every brain's session uses. graphOptimizationLevel 'all' stays: 'basic' and 'extended' created
 * the completion sessions no faster here, and 'basic' changed answers (int8 fusions); a session loads faster
 * from a graph optimized once (runtime/optimizedModels.ts).
 */
export const cpuSessionOptions: InferenceSession.SessionOptions = {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  // No onnxruntime arena: it keeps every buffer at its peak size for good (~27 MB more after 200 completions in a
  // 10 MB document, bench/soak.ts `--only big`) and was no faster here (p50 within 5% through the server).
  enableCpuMemArena: false,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

/**
 * A file's bytes in as few reads as the kernel allows. fs.readFile reads 512 KiB at a time, each read waiting
 * for a turn of the JavaScript thread, which at start is busy parsing the tokenizer and creating sessions:
 * a 13 MB model took ~100 ms longer to arrive (bench/first-suggestion.ts).
 */
async function readWhole(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    if (read !== size) throw new Error(`read ${read} of its ${size} bytes (the file changed while it was read)`);
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Bytes hashed per turn of the event loop (~0.5 ms). */
const hashChunk = 1 << 20;

/**
 * The sha256 of `bytes` in hex, 1 MiB at a time with a turn of the event loop between. With the completion
 * sessions from cached graphs, the models are hashed right after the first suggestion: in one piece (~6 ms per
 * 13 MB model; the AR twin and the completion models, ~30 ms) they held the thread against the user's next
 * requests. WebCrypto's digest is no way out in Node 20: it copies the bytes on the JavaScript thread first,
 * which costs about as much as hashing them.
 */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += hashChunk) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    hash.update(bytes.subarray(at, at + hashChunk));
  }
  return hash.digest('hex');
}

function missingRequired(brain: BrainName, entry: ManifestBrain): string | undefined {
  const { allOf = [], anyOf = [] } = requiredFiles[brain];
  const absent = allOf.filter((key) => !entry.files[key]);
  if (absent.length > 0) return absent.map((k) => `'${k}'`).join(', ');
  if (anyOf.length > 0 && !anyOf.some((key) => entry.files[key])) return anyOf.map((k) => `'${k}'`).join(' or ');
  return undefined;
}

function readyStatus(entry: ManifestBrain): BrainStatus {
  return { state: 'ready', detail: `${Object.keys(entry.files).length} file(s) in ${relative('')}` };
}

function notInstalled(why: string): BrainStatus {
  return { state: 'not-installed', detail: `model not installed: ${why}` };
}

function relative(file: string): string {
  return path.posix.join('models', file);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
