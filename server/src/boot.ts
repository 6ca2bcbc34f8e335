// The server's entry, dist/server.js: runs the bundled server, dist/server-main.js (main.ts), through V8's
// code cache when the client names a folder for it in NANOMIND_CODE_CACHE (the extension passes one in its
// global storage: client/src/ctx.ts). Compiling the ~0.9 MB bundle and the functions the first suggestion
// runs took ~25 ms of every start (bench/first-suggestion.ts); the cache V8 writes after a run holds them
// compiled. Without the variable the bundle is simply required.
//
// The cache file is named by the bundle's sha256, the Node version and the CPU architecture, so another
// build never meets it (V8 itself checks only the source's length), and starts with the sha256 of the V8
// data, which is checked before V8 reads it: a torn or damaged file is compiled past and replaced. The file
// is written when the process exits (the editor ends the server with `shutdown` and `exit`), once per build
// and folder. This file loads nothing but Node's own modules.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

// V8 recompiles a WebAssembly function with its optimizing compiler once the function has done a budget of work
// (default 1,800,000). The syntax gate's first parse of a document (tree-sitter grammars, completion/syntax.ts)
// used that up during the first request, and the background compiles took the second core from onnxruntime.
// A budget 100x larger leaves the start-up to the baseline code; the parse functions still move up after a few
// dozen checks of a large file, so later requests parse as fast as before. Set before anything compiles
// WebAssembly (it is read per instance), and before the bundle is compiled, so the code cache's flag hash holds.
v8.setFlagsFromString('--wasm-tiering-budget=180000000');
// The idle collector (runtime/idleCollector.ts) exposes V8's gc through this flag; set here too, before the bundle
// compiles, or the flag hash would differ between a start and the cache written at its exit, and V8 would reject it.
v8.setFlagsFromString('--expose-gc');

const mainFile = path.join(__dirname, 'server-main.js');
const cacheDir = process.env.NANOMIND_CODE_CACHE;
const digestBytes = 32;

if (cacheDir && path.isAbsolute(cacheDir)) {
  runCached(cacheDir);
} else {
  if (cacheDir) warn(`NANOMIND_CODE_CACHE is not an absolute path; the code cache is off`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(mainFile);
}

function runCached(dir: string): void {
  const source = fs.readFileSync(mainFile, 'utf8');
  const key = createHash('sha256').update(source).update(`${process.version} ${process.arch}`).digest('hex').slice(0, 24);
  const cacheFile = path.join(dir, `server-${key}.v8cache`);
  const cached = readCache(cacheFile);
  const script = new vm.Script(Module.wrap(source), {
    filename: mainFile,
    cachedData: cached,
    // The bundle's one import() (web-tree-sitter reading a grammar by path; the server passes bytes) resolves as in a required module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cached || script.cachedDataRejected) process.once('exit', () => writeCache(dir, cacheFile, script));
  // What `require(mainFile)` would do: a module of its own, registered, with its own require.
  const mod = new Module(mainFile, module);
  mod.filename = mainFile;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  require.cache[mainFile] = mod;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(mainFile), mod, mainFile, __dirname);
  mod.loaded = true;
}

/** The V8 data in `file` if it is whole (its sha256 matches the one written before it), else undefined. */
function readCache(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`the code cache ${file} cannot be read (${String(e)}); compiling`);
    return undefined;
  }
  const data = bytes.subarray(digestBytes);
  if (bytes.length > digestBytes && createHash('sha256').update(data).digest().equals(bytes.subarray(0, digestBytes))) return data;
  warn(`the code cache ${file} is damaged; compiling, and writing it again at exit`);
  return undefined;
}

/** Writes the V8 data for what this process compiled, whole or not at all, and removes other builds' files. */
function writeCache(dir: string, file: string, script: vm.Script): void {
  const partial = `${file}.${process.pid}.partial`;
  try {
    const data = script.createCachedData();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(partial, Buffer.concat([createHash('sha256').update(data).digest(), data]));
    fs.renameSync(partial, file);
    for (const name of fs.readdirSync(dir)) {
      if (/^server-[0-9a-f]+\.v8cache$/.test(name) && name !== path.basename(file)) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch (e) {
    warn(`the code cache ${file} could not be saved (${String(e)})`);
    try {
      fs.rmSync(partial, { force: true });
    } catch (removing) {
      warn(`${partial} could not be removed (${String(removing)})`);
    }
  }
}

/** stderr: the editor shows it in the server's output channel. */
function warn(message: string): void {
  process.stderr.write(`nanomind: ${message}\n`);
}
