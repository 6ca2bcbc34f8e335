// `npm run test:e2e`: the extension in a real VS Code (code-server + chromium).
//
//  (a) the extension-host suite test/e2e/suite/index.js runs inside VS Code's
//      extension host (VS Code API level: activation, commands, hover provider);
//  (b) the Playwright UI checks in test/e2e/ui.mjs drive the workbench as a
//      person would (status bar, command palette, mouse hover).
//
// Both run on the source checkout (the extension under development); then (b) runs again on the packaged
// VSIX (`scripts/package.mjs`) installed with code-server's `--install-extension` into a fresh extensions
// dir, as a user gets it. The UI checks time "last key -> ghost text rendered"; the numbers of both targets
// go to bench/results/e2e-latency.json with the machine they ran on.
//
// Prints the VS Code version, one line per test, and closes with
// "N passed, N failed"; exits non-zero if anything failed.
//
// It builds nothing (`npm test` builds first) but says so if dist/ is missing.
// Environment:
//   NANOMIND_E2E_EXTENSION     extension folder to load (default: the repo)
//   NANOMIND_E2E_TARGET=source|vsix|source,vsix   what to test (default both)
//   NANOMIND_E2E_VSIX          a VSIX to install instead of packaging one now
//   NANOMIND_E2E_SELFTEST_FAIL=1  adds a deliberately failing case to (a) and (b)
//   NANOMIND_E2E_ONLY=suite|ui    run only one half

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { machineDescription } from '../../bench/machine.ts';
import * as h from './harness.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[e2e ${elapsed()}] ${msg}`);

const EXTENSION = path.resolve(process.env.NANOMIND_E2E_EXTENSION || h.REPO_ROOT);
const SUITE = path.join(h.REPO_ROOT, 'test/e2e/suite/index.js');
const DEMO = path.join(h.REPO_ROOT, 'demo');
const ONLY = process.env.NANOMIND_E2E_ONLY || '';
const TARGETS = (process.env.NANOMIND_E2E_TARGET || 'source,vsix').split(',').map((t) => t.trim());
const LATENCY_FILE = path.join(h.REPO_ROOT, 'bench/results/e2e-latency.json');
const SUITE_TIMEOUT = 180_000; // the whole extension-host suite
const TOTAL_TIMEOUT = 14 * 60_000; // the whole run, whatever happens
// The hover is opt-in (nanomind.memory.hover); the UI checks look at it, so it is on for them.
const E2E_SETTINGS = { 'nanomind.memory.hover': true };

// Minimal demo files, used only for those the demo/ folder does not have (yet).
const FALLBACK_DEMO = {
  'example.ts': 'export function fibonacci(n: number): number {\n  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);\n}\n',
  'example.py': 'def fibonacci(n: int) -> int:\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n',
  'example.sudoku': '53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n...419..5\n....8..79\n',
  'example.maze': '#######\n#S    #\n# ### #\n#   #G#\n#######\n',
};

const results = []; // { name, ok, error? }
const cleanups = [];

function record(name, ok, error) {
  results.push({ name, ok, error });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `\n     ${String(error).split('\n').join('\n     ')}`}`);
}

async function cleanup() {
  while (cleanups.length)
    await cleanups
      .pop()()
      .catch(() => {});
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
    for (const r of report.results) {
      record(`[ext host] ${r.name} (${r.ms} ms)`, r.ok, r.error);
      if (r.info) console.log(`     ${JSON.stringify(r.info)}`);
    }
  }
  if (!report || (code !== 0 && report.failed === 0)) {
    record('[ext host] suite ran and exited 0', false, `exit: ${code}; no results from the suite${shot ? `; screenshot ${shot}` : ''}`);
  }
  if (code !== 0) {
    if (shot) console.log(`screenshot: ${shot}`);
    dump('last workbench log lines', forwarded.filter(notSuite).slice(-25).join('\n'));
    reportFailureContext(server, wb);
  }
  return Object.fromEntries((report?.results ?? []).filter((r) => r.info).map((r) => [r.name, r.info]));
}

/**
 * (b) Playwright UI checks on a fresh workbench: with the extension under development loaded
 * (`extensionPath`), or with none (the extension is then the one installed in code-server's extensions dir).
 * Returns what the checks measured.
 */
async function runUiChecks(server, { label, extensionPath }) {
  const { tests } = await import('./ui.mjs');
  const workspace = prepareWorkspace(`ui-${label}`);
  const metrics = {};
  log(`UI checks (${label}): opening the workbench`);
  const wb = await h.openWorkbench({ url: server.url, workspace, extensionPath, onLog: () => {} });
  cleanups.push(wb.close);
  try {
    await h.waitForWorkbench(wb.page);
  } catch (err) {
    record(`[ui ${label}] workbench loads`, false, `${err.message}; screenshot ${await h.screenshot(wb.page, `ui-${label}-workbench`)}`);
    reportFailureContext(server, wb);
    return metrics;
  }
  for (const t of tests.filter((t) => extensionPath || !t.sourceOnly)) {
    const t0 = Date.now();
    try {
      await h.withTimeout(t.fn({ page: wb.page, workspace, server, metrics }), t.timeout ?? 30_000, `UI check "${t.name}"`);
      record(`[ui ${label}] ${t.name} (${Date.now() - t0} ms)`, true);
    } catch (err) {
      const shot = await h.screenshot(wb.page, `ui-${label}-${t.name}`);
      record(`[ui ${label}] ${t.name} (${Date.now() - t0} ms)`, false, `${err.message}\nscreenshot: ${shot}`);
      reportFailureContext(server, wb);
      // Leave the workbench in a neutral state for the next check.
      await wb.page.keyboard.press('Escape').catch(() => {});
    }
  }
  await wb.close();
  return metrics;
}

/** The VSIX to test: NANOMIND_E2E_VSIX, or one packaged now from the built dist/ (scripts/package.mjs). */
function packagedVsix() {
  if (process.env.NANOMIND_E2E_VSIX) return path.resolve(process.env.NANOMIND_E2E_VSIX);
  log('packaging the VSIX (scripts/package.mjs)');
  const r = spawnSync(process.execPath, [path.join(h.REPO_ROOT, 'scripts/package.mjs')], { cwd: h.REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  const line = /^VSIX: (\S+) .*$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !line) throw new Error(`scripts/package.mjs failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  log(line[0]);
  return path.join(h.REPO_ROOT, line[1]);
}

/** Writes what was measured, per target, with the machine it ran on (only the targets that ran). */
function writeLatency(measured, vscode) {
  const targets = Object.fromEntries(Object.entries(measured).filter(([, m]) => m.ghostLatency));
  if (Object.keys(targets).length === 0) return;
  const out = { machine: machineDescription(), date: new Date().toISOString(), vscode, targets };
  fs.mkdirSync(path.dirname(LATENCY_FILE), { recursive: true });
  fs.writeFileSync(LATENCY_FILE, `${JSON.stringify(out, null, 1)}\n`);
  for (const [target, m] of Object.entries(targets)) {
    const g = m.ghostLatency;
    console.log(`latency (${target}): last key -> ghost text p50 ${g.p50Ms} ms over ${g.shown} of ${g.typed} trials`);
  }
  log(`wrote ${path.relative(h.REPO_ROOT, LATENCY_FILE)}`);
}

/** The source checkout: the extension-host suite and the UI checks with the extension under development. */
async function testSource(resultsFile) {
  const server = await h.startCodeServer({ settings: E2E_SETTINGS, env: { NANOMIND_E2E_RESULTS: resultsFile } });
  log(`code-server listening on ${server.url}`);
  try {
    const suite = ONLY !== 'ui' ? await runExtensionHostSuite(server, resultsFile) : {};
    const ui = ONLY !== 'suite' ? await runUiChecks(server, { label: 'source', extensionPath: EXTENSION }) : {};
    return { ...ui, suite };
  } finally {
    // Keep code-server's logs (user-data/logs: extension host, remote agent) when something failed.
    await server.stop({ keepLogs: results.some((r) => !r.ok) });
  }
}

/** The packaged VSIX, installed into a fresh extensions dir as a user would: the UI checks. */
async function testVsix(tmp) {
  const vsix = packagedVsix();
  const extensionsDir = path.join(tmp, 'vsix-extensions');
  const folder = h.installVsix(vsix, extensionsDir);
  log(`installed ${path.basename(vsix)} into ${folder}`);
  const server = await h.startCodeServer({ settings: E2E_SETTINGS, extensionsDir });
  log(`code-server listening on ${server.url}`);
  try {
    return await runUiChecks(server, { label: 'vsix' });
  } finally {
    await server.stop({ keepLogs: results.some((r) => !r.ok) });
  }
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
  const measured = {};
  if (TARGETS.includes('source')) measured.source = await testSource(path.join(tmp, 'suite-results.json'));
  if (TARGETS.includes('vsix') && ONLY !== 'suite') measured.vsix = await testVsix(tmp);
  writeLatency(measured, vscode);
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
