// `npm run test:desktop`: the same extension-host suite as the e2e run
// (test/e2e/suite/index.js), in desktop VS Code through @vscode/test-electron.
//
// Desktop VS Code is not on npm or in Debian: @vscode/test-electron downloads
// it from Microsoft, which this project's machines cannot reach. So this is
// not part of `npm test`. Give it a VS Code by path with
//   VSCODE_EXECUTABLE=/path/to/code npm run test:desktop
// or run it where downloads work. On a headless Linux box, run it under
// xvfb-run (Debian package xvfb).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = path.join(ROOT, 'test/e2e/suite/index.js');

function summary(passed, failed) {
  console.log(`${passed} passed, ${failed} failed`);
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) {
    console.error('dist/extension.js is missing: run `npm run build` first');
    return 1;
  }
  const { runTests } = (await import('@vscode/test-electron')).default ?? (await import('@vscode/test-electron'));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nanomind-desktop-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true });
  const resultsFile = path.join(tmp, 'suite-results.json');

  const executable = process.env.VSCODE_EXECUTABLE;
  if (executable && !fs.existsSync(executable)) {
    console.error(`VSCODE_EXECUTABLE=${executable} does not exist`);
    return 1;
  }
  console.log(executable ? `desktop VS Code: ${executable}` : 'desktop VS Code: downloading the latest stable with @vscode/test-electron');

  let code;
  try {
    code = await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { timeout: 30_000 }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE,
      extensionTestsEnv: { NANOMIND_E2E_RESULTS: resultsFile },
      launchArgs: [
        workspace,
        // Only our extension, in a throwaway profile. --no-sandbox: Electron
        // refuses to start as root without it (CI runs as root).
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--no-sandbox',
        '--user-data-dir',
        path.join(tmp, 'user-data'),
        '--extensions-dir',
        path.join(tmp, 'extensions'),
      ],
    });
  } catch (err) {
    const msg = String(err && err.message ? err.message : err);
    if (!executable) {
      console.error(
        `Could not get desktop VS Code (${msg.split('\n')[0]}).\n` +
          'This machine cannot download it (only the npm registry and Debian are reachable).\n' +
          'Set VSCODE_EXECUTABLE=/path/to/code to use an installed VS Code, or use `npm run test:e2e`,\n' +
          'which runs the same suite in code-server.',
      );
    } else {
      console.error(`desktop VS Code failed: ${msg}`);
    }
    code = 1;
  }

  let report = null;
  try {
    report = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  } catch {
    /* the suite never ran */
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  if (report) {
    console.log(`suite ran in ${report.header}`);
    for (const r of report.results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n${r.error}`}`);
    summary(report.passed, report.failed);
    return report.failed > 0 ? 1 : code;
  }
  summary(0, 1);
  return 1;
}

process.exitCode = await main();
