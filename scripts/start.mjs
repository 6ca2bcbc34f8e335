// `npm start` (after `npm run build`): a real VS Code in the browser with
// nanomind loaded and the demo workspace open.
//
// Starts code-server (installed by scripts/setup-e2e.sh into .cache/) on
// 127.0.0.1:${NANOMIND_PORT:-8080}, prints the URL and stays in the foreground
// until Ctrl+C.
//
// The extension is installed into code-server's extensions dir as a staged
// folder nanomind.nanomind-<version>/ (so a plain URL works, as with a VSIX),
// holding what the VSIX would hold (.vscodeignore's allowlist):
//   - package.json and dist/ are COPIED: the extension host maps API calls to
//     an extension by the real path of the calling file, and Node resolves
//     symlinks, so a symlinked dist/ would run as "nullExtensionDescription";
//   - models/, syntaxes/, ... and the runtime packages under node_modules/
//     (onnxruntime-*) are symlinks to the repository.
// A symlink to the whole repository does not work: VS Code 1.96 then hangs
// the page load for >30 s, and the extension loses its identity as above.
// The workspace is a fresh copy of demo/ under .cache/start/workspace, so the
// demo files in the repo are never edited by playing with them.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as h from '../test/e2e/harness.mjs';

const PORT = Number(process.env.NANOMIND_PORT || 8080);
const STATE = path.join(h.REPO_ROOT, '.cache/start');
const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO_ROOT, 'package.json'), 'utf8'));

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Stages the extension folder as described at the top. Top-level entries and
 * node_modules packages come from the "!path" lines of .vscodeignore.
 */
function stageExtension(dest) {
  const ignore = fs.readFileSync(path.join(h.REPO_ROOT, '.vscodeignore'), 'utf8');
  const top = new Set(['package.json', 'dist']);
  const packages = new Set();
  for (const line of ignore.split('\n')) {
    const m = /^!([^*\s][^\s]*)/.exec(line.trim());
    if (!m) continue;
    const parts = m[1].split('/');
    if (parts[0] === 'node_modules') {
      // "@scope/name/..." or "name/..."
      packages.add(parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]);
    } else {
      top.add(parts[0]);
    }
  }
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of top) {
    const src = path.join(h.REPO_ROOT, entry);
    if (!fs.existsSync(src)) continue;
    if (entry === 'package.json' || entry === 'dist') fs.cpSync(src, path.join(dest, entry), { recursive: true });
    else fs.symlinkSync(src, path.join(dest, entry));
  }
  for (const name of packages) {
    const src = path.join(h.REPO_ROOT, 'node_modules', name);
    if (!fs.existsSync(src)) continue;
    fs.mkdirSync(path.dirname(path.join(dest, 'node_modules', name)), { recursive: true });
    fs.symlinkSync(src, path.join(dest, 'node_modules', name));
  }
}

async function main() {
  if (!fs.existsSync(path.join(h.REPO_ROOT, pkg.main))) {
    throw new Error(`${pkg.main} is missing: run \`npm run build\` (npm start does it for you)`);
  }
  h.ensureCodeServer();
  if (!(await portIsFree(PORT))) {
    throw new Error(`port ${PORT} on 127.0.0.1 is in use: set NANOMIND_PORT to another port`);
  }

  // Extensions dir: rebuilt every start so a version bump or a rebuild never leaves stale files.
  const extensionsDir = path.join(STATE, 'extensions');
  fs.rmSync(extensionsDir, { recursive: true, force: true });
  stageExtension(path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`));

  // Workspace: a fresh copy of demo/.
  const workspace = path.join(STATE, 'workspace');
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.cpSync(path.join(h.REPO_ROOT, 'demo'), workspace, { recursive: true });

  const server = await h.startCodeServer({
    workspace,
    port: PORT,
    extensionsDir,
    // User data (UI state, settings) persists between starts.
    userDataDir: path.join(STATE, 'user-data'),
    // For people, not tests: keep VS Code's usual auto save and preview tabs.
    settings: { 'files.autoSave': 'afterDelay', 'workbench.editor.enablePreview': true },
    echo: !!process.env.NANOMIND_VERBOSE,
  });

  const { vscode, codeServer } = h.vscodeVersion();
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  console.log(`
nanomind ${pkg.version} in VS Code ${vscode} (code-server ${codeServer})

  Open:       ${url}
  Workspace:  ${workspace}  (a fresh copy of demo/)
  Log:        ${server.logFile}

Press Ctrl+C to stop.`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping code-server`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Stay in the foreground until Ctrl+C; if code-server dies on its own, say so.
  const { code, signal } = await server.exited;
  if (!stopping) {
    console.error(`code-server exited (${signal ?? `code ${code}`}). Last output:\n${server.logTail(30)}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
});
