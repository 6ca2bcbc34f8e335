// ONNX graphs as onnxruntime optimized them, kept in the extension's own storage folder (the client passes
// its globalStorage path as `initializationOptions.storagePath`; without one nothing is written). Creating a
// session from a shipped model parses and optimizes the whole graph: ~100 ms per completion model on this
// 2-core machine, the largest step before the first suggestion. The graph saved after that optimization
// loads in about half the time with optimization off, and computes the same values bit for bit
// (test/unit/optimizedModels.test.ts). The first start fills the cache; later starts read it.
//
// A cached graph is named by the sha256 of the model it came from (which the registry has checked before it
// asks for a session), the onnxruntime version, the CPU and the session options, so a new model, a new
// runtime or another machine never meets an old graph. A cached file that does not load is deleted and the
// shipped model is used (and cached again).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { cpuSessionOptions } from './models';
import { onnxRuntime } from './onnxruntime';

export class OptimizedModelCache {
  /** Graphs saved by this process (for the log and the tests). */
  saved = 0;

  constructor(
    /** The folder the server may write to; created when the first graph is saved. */
    readonly dir: string,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * A CPU session for the model whose sha256 is `sha256`: from the cached optimized graph if there is one
   * (its bytes are not needed then), else from `bytes()`, saving the optimized graph. A runtime/models.ts
   * SessionFactory.
   */
  async session(sha256: string, bytes: () => Promise<Uint8Array>): Promise<InferenceSession> {
    const ort = onnxRuntime();
    const file = path.join(this.dir, `${sha256.slice(0, 32)}-${this.environmentKey(ort.env.versions.node ?? 'unknown')}.onnx`);
    if (await exists(file)) {
      try {
        // The graph is optimized already: 'disabled' skips doing it again.
        return await ort.InferenceSession.create(file, { ...cpuSessionOptions, graphOptimizationLevel: 'disabled' });
      } catch (e) {
        this.log(`the optimized copy ${file} did not load (${firstLine(e)}); using the shipped model`);
        await fs.rm(file, { force: true });
      }
    }
    await fs.mkdir(this.dir, { recursive: true });
    // onnxruntime writes the optimized graph while it creates the session; a rename makes it appear whole.
    const partial = `${file}.${process.pid}.partial`;
    let session: InferenceSession;
    try {
      // Saving a graph optimized past 'extended' makes onnxruntime warn on stderr that it may be hardware-specific,
      // which the client's output channel shows as an error at every start: the cache key holds the environment
      // (environmentKey), so only errors are logged here.
      session = await ort.InferenceSession.create(await bytes(), { ...cpuSessionOptions, optimizedModelFilePath: partial, logSeverityLevel: 3 });
    } catch (e) {
      await fs.rm(partial, { force: true });
      throw e;
    }
    try {
      await fs.rename(partial, file);
      this.saved++;
    } catch (e) {
      this.log(`the optimized copy ${file} could not be saved: ${firstLine(e)}`);
      await fs.rm(partial, { force: true });
    }
    return session;
  }

  /** The runtime version, the CPU and the session options, hashed: a graph optimized for one is not used with another. */
  private environmentKey(ortVersion: string): string {
    const cpu = `${os.arch()} ${os.cpus()[0]?.model ?? 'unknown'}`;
    return `ort${ortVersion}-${createHash('sha256')
      .update(JSON.stringify([cpu, cpuSessionOptions]))
      .digest('hex')
      .slice(0, 12)}`;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
