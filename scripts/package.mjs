// Builds the linux-x64 VSIX with vsce and reports its size and file count.
// Dependencies are bundled by esbuild; only onnxruntime's runtime files ride along (.vscodeignore).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const out = `${pkg.name}-${pkg.version}-linux-x64.vsix`;
const vsce = createRequire(import.meta.url).resolve('@vscode/vsce/vsce');
const log = execFileSync(process.execPath, [vsce, 'package', '--target', 'linux-x64', '--allow-missing-repository', '--skip-license', '-o', out], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
process.stdout.write(log);
const files = /Packaged: .*\((\d+) files?/.exec(log)?.[1] ?? '?';
const mb = (statSync(out).size / 2 ** 20).toFixed(1);
console.log(`VSIX: ${out} — ${mb} MB, ${files} files`);
