// `npm run test:e2e`: the extension in a real VS Code (code-server + chromium).
//
//  (a) the extension-host suite test/e2e/suite/index.js runs inside VS Code's
//      extension host (VS Code API level: activation, commands, hover provider);
//  (b) the Playwright UI checks in test/e2e/ui.mjs drive the workbench as a
//      person would (status bar, command palette, mouse hover).
//
// Prints the VS Code version, one line per test, and closes with
// "N passed, N failed"; exits non-zero if anything failed.
//
// It builds nothing (`npm test` builds first) but says so if dist/ is missing.
// Environment:
//   NANOMIND_E2E_EXTENSION     extension folder to load (default: the repo)
//   NANOMIND_E2E_SELFTEST_FAIL=1  adds a deliberately failing case to (a) and (b)
//   NANOMIND_E2E_ONLY=suite|ui    run only one half

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[e2e ${elapsed()}] ${msg}`);

const EXTENSION = path.resolve(process.env.NANOMIND_E2E_EXTENSION || h.REPO_ROOT);
const SUITE = path.join(h.REPO_ROOT, 'test/e2e/suite/index.js');
const DEMO = path.join(h.REPO_ROOT, 'demo');
const ONLY = process.env.NANOMIND_E2E_ONLY || '';
const SUITE_TIMEOUT = 180_000; // the whole extension-host suite
const TOTAL_TIMEOUT = 8 * 60_000; // the whole run, whatever happens

// Minimal demo files, used only for those the demo/ folder does not have (yet).
const FALLBACK_DEMO = {
  'example.ts': 'export function fibonacci(n: number): number {\n  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);\n}\n',
  'example.py': 'def fibonacci(n: int) -> int:\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n',
  'example.sudoku':
    '53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n...419..5\n....8..79\n',
  'example.maze': '#######\n#S    #\n# ### #\n#   #G#\n#######\n',
};

const results = []; // { name, ok, error? }
const cleanups = [];

function record(name, ok, error) {
  results.push({ name, ok, error });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `\n     ${String(error).split('\n').join('\n     ')}`}`);
}

async function cleanup() {
  while (cleanups.length) await cleanups.pop()().catch(() => {});
}

function finish(code) {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`finished (${results.length} tests)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || results.length === 0 ? 1 : code);
}

// A watchdog: no hang outlives TOTAL_TIMEOUT.
setTimeout(async () => {
  record('e2e run finished in time', false, `the whole e2e run exceeded ${TOTAL_TIMEOUT / 1000}s`);
  await Promise.race([cleanup(), h.sleep(10_000)]);
  finish(1);
}, TOTAL_TIMEOUT).unref();

function prepareWorkspace(name) {
  const ws = fs.existsSync(DEMO) ? h.copyWorkspace(DEMO, `nanomind-${name}-`) : fs.mkdtempSync(path.join(os.tmpdir(), `nanomind-${name}-`));
  for (const [file, text] of Object.entries(FALLBACK_DEMO)) {
    if (!fs.existsSync(path.join(ws, file))) fs.writeFileSync(path.join(ws, file), text);
  }
  cleanups.push(async () => fs.rmSync(ws, { recursive: true, force: true }));
  return ws;
}

// The suite's own lines ("[nanomind-e2e] ...") are already reported per test;
// leaving them out of the context dumps also keeps a second "N passed, N failed"
// line out of the output.
const NOISE = ['[nanomind-e2e]', 'extension-host test(s) failed', 'Ignoring fetching additional builtin extensions'];
const notSuite = (entry) => !NOISE.some((n) => entry.includes(n));
const dump = (title, text) => console.log(`--- ${title}:\n${text}\n---`);

function reportFailureContext(server, wb) {
  if (server) dump(`last lines of code-server's log (${server.logFile})`, server.logTail(40));
  if (wb) dump('last browser console lines', wb.consoleTail(25, notSuite));
}

/** (a) The extension-host suite, via the extensionTestsPath payload. */
async function runExtensionHostSuite(server, resultsFile) {
  const workspace = prepareWorkspace('suite');
  log('extension-host suite: opening the workbench');
  const forwarded = [];
  const wb = await h.openWorkbench({
    url: server.url,
    workspace,
    extensionPath: EXTENSION,
    extensionTestsPath: SUITE,
    // The workbench's own log is noisy; keep it for failure reports only.
    onLog: (level, msg) => forwarded.push(`[${level}] ${msg}`),
  });
  cleanups.push(wb.close);
  let code;
  try {
    code = await h.withTimeout(wb.exitCode, SUITE_TIMEOUT, 'the extension-host suite to finish');
  } catch (err) {
    code = err.message;
  }
  const shot = code === 0 ? null : await h.screenshot(wb.page, 'extension-host-suite');
  await wb.close();

  let report = null;
  try {
    report = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  } catch {
    /* the suite never got to write it: counted as one failure below */
  }
  if (report) {
    console.log(`extension-host suite ran in ${report.header}`);
    for (const r of report.results) record(`[ext host] ${r.name} (${r.ms} ms)`, r.ok, r.error);
  }
  if (!report || (code !== 0 && report.failed === 0)) {
    record('[ext host] suite ran and exited 0', false, `exit: ${code}; no results from the suite${shot ? `; screenshot ${shot}` : ''}`);
  }
  if (code !== 0) {
    if (shot) console.log(`screenshot: ${shot}`);
    dump('last workbench log lines', forwarded.filter(notSuite).slice(-25).join('\n'));
    reportFailureContext(server, wb);
  }
}

/** (b) Playwright UI checks on a fresh workbench with the extension loaded. */
async function runUiChecks(server) {
  const { tests } = await import('./ui.mjs');
  const workspace = prepareWorkspace('ui');
  log('UI checks: opening the workbench');
  const wb = await h.openWorkbench({ url: server.url, workspace, extensionPath: EXTENSION, onLog: () => {} });
  cleanups.push(wb.close);
  try {
    await h.waitForWorkbench(wb.page);
  } catch (err) {
    record('[ui] workbench loads', false, `${err.message}; screenshot ${await h.screenshot(wb.page, 'ui-workbench')}`);
    reportFailureContext(server, wb);
    return;
  }
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await h.withTimeout(t.fn({ page: wb.page, workspace, server }), t.timeout ?? 30_000, `UI check "${t.name}"`);
      record(`[ui] ${t.name} (${Date.now() - t0} ms)`, true);
    } catch (err) {
      const shot = await h.screenshot(wb.page, `ui-${t.name}`);
      record(`[ui] ${t.name} (${Date.now() - t0} ms)`, false, `${err.message}\nscreenshot: ${shot}`);
      reportFailureContext(server, wb);
      // Leave the workbench in a neutral state for the next check.
      await wb.page.keyboard.press('Escape').catch(() => {});
    }
  }
  await wb.close();
}

async function main() {
  if (!fs.existsSync(path.join(EXTENSION, 'package.json'))) {
    throw new Error(`no extension at ${EXTENSION} (package.json missing)`);
  }
  const main = JSON.parse(fs.readFileSync(path.join(EXTENSION, 'package.json'), 'utf8')).main;
  if (main && !fs.existsSync(path.join(EXTENSION, main)) && !fs.existsSync(path.join(EXTENSION, `${main}.js`))) {
    throw new Error(`${path.join(EXTENSION, main)} is missing: run \`npm run build\` first (npm test does)`);
  }
  h.ensureCodeServer();
  const { vscode, codeServer } = h.vscodeVersion();
  log(`VS Code ${vscode} (code-server ${codeServer}), chromium ${h.CHROMIUM}, extension ${EXTENSION}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nanomind-e2e-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const resultsFile = path.join(tmp, 'suite-results.json');
  const server = await h.startCodeServer({ env: { NANOMIND_E2E_RESULTS: resultsFile } });
  // Keep code-server's logs (user-data/logs: extension host, remote agent) when something failed.
  cleanups.push(() => server.stop({ keepLogs: results.some((r) => !r.ok) }));
  log(`code-server listening on ${server.url}`);

  if (ONLY !== 'ui') await runExtensionHostSuite(server, resultsFile);
  if (ONLY !== 'suite') await runUiChecks(server);
  await cleanup();
}

main().then(
  () => finish(0),
  async (err) => {
    record('e2e harness', false, err.stack || err.message);
    await Promise.race([cleanup(), h.sleep(10_000)]);
    finish(1);
  },
);
