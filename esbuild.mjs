// Bundles the client (dist/extension.js) and the server (dist/server-main.js, run by its entry dist/server.js:
// server/src/boot.ts, which adds V8's code cache). onnxruntime-node stays
// external: it ships native binaries that must be loaded from node_modules at run time. The syntax gate's
// tree-sitter runtime and grammars are WebAssembly files from npm: copied to dist/grammars/, where
// server/src/completion/syntax.ts looks first (the VSIX has no node_modules for them).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const wasmFiles = [
  'web-tree-sitter/web-tree-sitter.wasm',
  'tree-sitter-typescript/tree-sitter-typescript.wasm',
  'tree-sitter-typescript/tree-sitter-tsx.wasm',
  'tree-sitter-javascript/tree-sitter-javascript.wasm',
  'tree-sitter-python/tree-sitter-python.wasm',
];
mkdirSync('dist/grammars', { recursive: true });
for (const file of wasmFiles) copyFileSync(require.resolve(file), path.join('dist/grammars', path.basename(file)));

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

const builds = [
  { ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // web-tree-sitter's CommonJS build: its ES module build finds its files through import.meta.url, which a
  // CommonJS bundle does not have.
  {
    ...common,
    entryPoints: ['server/src/main.ts'],
    outfile: 'dist/server-main.js',
    external: ['onnxruntime-node'],
    alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
  },
  { ...common, entryPoints: ['server/src/boot.ts'], outfile: 'dist/server.js' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  const started = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(
    `built dist/extension.js, dist/server.js, dist/server-main.js and dist/grammars/ (${wasmFiles.length} .wasm files) in ${Date.now() - started} ms`,
  );
}
