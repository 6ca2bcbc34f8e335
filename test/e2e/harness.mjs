// End-to-end harness: a real VS Code (code-server, installed by
// scripts/setup-e2e.sh) driven by Debian's chromium through playwright-core.
//
// Everything here has a timeout: a test run must end in bounded time even when
// VS Code hangs, the extension never activates, or the browser crashes.
//
// Used by test/e2e/run.mjs (the test run), test/e2e/ui.mjs (UI checks) and
// scripts/start.mjs (`npm start`).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CODE_SERVER_DIR = path.join(REPO_ROOT, '.cache/code-server/node_modules/code-server');
export const CODE_SERVER_STAMP = path.join(REPO_ROOT, '.cache/code-server/.installed');
export const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts/setup-e2e.sh');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// ---------------------------------------------------------------- utilities

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a clear message if `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `fn` until it returns a truthy value; returns that value. */
export async function waitFor(fn, { timeout = 10_000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (lastError ? ` (last error: ${lastError.message})` : ''));
    }
    await sleep(interval);
  }
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one, then releases it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when code-server is installed (setup-e2e.sh finished at least once). */
export function codeServerInstalled() {
  return fs.existsSync(CODE_SERVER_STAMP) && fs.existsSync(path.join(CODE_SERVER_DIR, 'out/node/entry.js'));
}

/** Runs scripts/setup-e2e.sh when code-server is not installed yet. */
export function ensureCodeServer() {
  if (codeServerInstalled() && fs.existsSync(CHROMIUM)) return;
  console.log('[e2e] code-server or chromium missing: running scripts/setup-e2e.sh');
  const r = spawnSync('bash', [SETUP_SCRIPT], { stdio: 'inherit', timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/setup-e2e.sh failed (exit ${r.status ?? r.signal})`);
}

/** VS Code version of the installed code-server, from its product.json / package.json. */
export function vscodeVersion() {
  const read = (p) => JSON.parse(fs.readFileSync(path.join(CODE_SERVER_DIR, p), 'utf8'));
  try {
    const vscode = read('lib/vscode/package.json').version;
    const codeServer = read('package.json').version;
    return { vscode, codeServer };
  } catch {
    return { vscode: 'unknown', codeServer: 'unknown' };
  }
}

/** Copies a folder (the demo workspace) into a fresh temp dir; returns the copy's path. */
export function copyWorkspace(src, prefix = 'nanomind-ws-') {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(src, dest, { recursive: true });
  return dest;
}

// User settings that keep VS Code quiet and predictable under test: no welcome
// page, tips, telemetry, update or extension-gallery checks, and no auto save
// (web VS Code auto-saves after a delay by default, which would let a test's
// edits leak into the workspace at random moments).
export const TEST_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.editor.enablePreview': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'files.autoSave': 'off',
  'editor.inlineSuggest.enabled': true,
  'editor.hover.enabled': true,
  'editor.hover.delay': 150,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.restoreWindows': 'none',
};

// ------------------------------------------------------------------ code-server

/**
 * Installs a VSIX into `extensionsDir` with code-server's own `--install-extension`, as a user would
 * install the packaged extension (no marketplace: EXTENSIONS_GALLERY={} keeps it offline).
 * Returns the folder it was unpacked into.
 */
/**
 * code-server's environment. EXTENSIONS_GALLERY={} (no serviceUrl) turns the marketplace off: tests must not
 * reach for the network (the default gallery is open-vsx.org). VS Code writes a machine id under
 * $XDG_CACHE_HOME/Microsoft/DeveloperTools: a scratch cache keeps test runs out of the user's ~/.cache.
 */
function codeServerEnv(extra = {}) {
  return { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CACHE_HOME: path.join(os.tmpdir(), 'nanomind-e2e-cache'), ...extra };
}

export function installVsix(vsix, extensionsDir, { timeout = 120_000 } = {}) {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanomind-install-'));
  const r = spawnSync(
    process.execPath,
    [path.join(CODE_SERVER_DIR, 'out/node/entry.js'), '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix],
    { encoding: 'utf8', timeout, env: codeServerEnv() },
  );
  fs.rmSync(userDataDir, { recursive: true, force: true });
  const installed = fs.existsSync(extensionsDir) ? fs.readdirSync(extensionsDir).filter((d) => d.startsWith('nanomind.nanomind-')) : [];
  if (r.status !== 0 || installed.length !== 1) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return path.join(extensionsDir, installed[0]);
}

/**
 * Starts code-server on 127.0.0.1 with fresh user-data and extensions dirs.
 * Resolves once it answers HTTP. `stop()` kills the whole process tree (the
 * server forks extension hosts, file watchers and pty hosts).
 *
 * options.extensionsDir: use this extensions dir instead of an empty temp one.
 * options.settings: extra user settings merged over TEST_SETTINGS.
 * options.env: extra environment for code-server (the extension host inherits it).
 * options.echo: also print code-server's output (it is always kept in the log).
 */
export async function startCodeServer({
  workspace,
  userDataDir,
  extensionsDir,
  port,
  settings = {},
  env: extraEnv = {},
  startTimeout = 60_000,
  echo = false,
} = {}) {
  if (!codeServerInstalled()) throw new Error('code-server is not installed: run scripts/setup-e2e.sh');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nanomind-cs-'));
  userDataDir ??= path.join(tmp, 'user-data');
  extensionsDir ??= path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({ ...TEST_SETTINGS, ...settings }, null, 2));
  // Our own config file, so code-server neither reads nor writes ~/.config/code-server.
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');

  port ??= await freePort();
  const logFile = path.join(tmp, 'code-server.log');
  const logStream = fs.createWriteStream(logFile);
  const tail = []; // last lines of output, printed when something fails

  const args = [
    path.join(CODE_SERVER_DIR, 'out/node/entry.js'),
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (workspace) args.push(workspace);

  const env = codeServerEnv(extraEnv);
  // A password in the environment would switch auth back on.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  // detached: the child leads its own process group, so stop() can kill the tree.
  const child = spawn(process.execPath, args, { cwd: tmp, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = null;
  const exitedPromise = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      if (echo) process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      tail.push(...lines);
      if (tail.length > 300) tail.splice(0, tail.length - 300);
    });
  }

  // If this node process dies without calling stop(), don't leave a server behind.
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);

  const url = `http://127.0.0.1:${port}`;
  const server = {
    url,
    port,
    host: `127.0.0.1:${port}`,
    userDataDir,
    extensionsDir,
    logFile,
    /** Resolves with { code, signal } when the code-server process exits. */
    exited: exitedPromise,
    /** The last `n` lines code-server printed (plus extension host logs' tail). */
    logTail(n = 40) {
      return tail.slice(-n).join('\n');
    },
    /** Log files VS Code wrote under the user data dir (extension host, remote agent...). */
    extraLogs() {
      const out = [];
      const walk = (dir) => {
        for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith('.log')) out.push(p);
        }
      };
      walk(path.join(userDataDir, 'logs'));
      return out;
    },
    /** Kills code-server's process tree; removes its temp dir unless `keepLogs` (to read them after a failure). */
    async stop({ keepLogs = false } = {}) {
      process.off('exit', onExit);
      if (!exited) {
        killGroup('SIGTERM');
        const gone = await waitFor(() => exited, { timeout: 5_000, interval: 100, what: 'code-server to exit' }).catch(() => false);
        if (!gone) killGroup('SIGKILL');
      }
      // Children that outlived the server (extension hosts, watchers) share its group.
      killGroup('SIGKILL');
      logStream.end();
      if (!keepLogs) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)})`);
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return res.ok;
      },
      { timeout: startTimeout, interval: 250, what: `code-server to answer on ${url}` },
    );
  } catch (err) {
    console.error(`[e2e] code-server did not start. Last output:\n${server.logTail()}`);
    await server.stop({ keepLogs: true });
    throw err;
  }
  return server;
}

// -------------------------------------------------------------------- browser

/** The workbench URL that opens `workspace`, optionally with an extension under development and a test suite. */
export function workbenchUrl({ url, workspace, extensionPath, extensionTestsPath }) {
  const host = new URL(url).host;
  const payload = [['skipWelcome', 'true']];
  if (extensionPath) payload.push(['extensionDevelopmentPath', `vscode-remote://${host}${extensionPath}`]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${extensionTestsPath}`]);
  let u = `${url}/?`;
  if (workspace) u += `folder=${encodeURIComponent(workspace)}&`;
  return u + `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Launches chromium and opens the workbench.
 *
 * With `extensionTestsPath`, VS Code runs that suite's `run()` in the extension
 * host; when it settles the workbench calls window.codeAutomationExit(code)
 * (0 = resolved, 1 = threw). `exitCode` is a promise of that code.
 *
 * Returns { browser, page, exitCode, consoleTail(n), close() }.
 */
export async function openWorkbench({
  url,
  workspace,
  extensionPath,
  extensionTestsPath,
  onLog = (level, msg) => process.stdout.write(`  [vscode ${level}] ${msg}\n`),
  viewport = { width: 1400, height: 900 },
  launchTimeout = 30_000,
} = {}) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: launchTimeout,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);

    const consoleLines = [];
    page.on('console', (msg) => {
      // VS Code styles its console logs: drop the "%c INFO color: #33f" noise.
      consoleLines.push(`[${msg.type()}] ${msg.text().replace(/^%c\s*(\w+)\s+color:\s*#\w+\s*/, '$1 ')}`);
      if (consoleLines.length > 300) consoleLines.splice(0, consoleLines.length - 300);
    });
    page.on('pageerror', (err) => consoleLines.push(`[pageerror] ${err.message}`));

    let resolveExit;
    const exitCode = new Promise((resolve) => (resolveExit = resolve));
    // VS Code's web workbench looks for these two functions on window when it
    // runs extension tests (the same hooks its own smoke tests use).
    await page.exposeFunction('codeAutomationLog', (level, msg) => onLog(level, msg));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    page.on('crash', () => resolveExit('page crashed'));

    await page.goto(workbenchUrl({ url, workspace, extensionPath, extensionTestsPath }), { timeout: 30_000 });
    return {
      browser,
      page,
      exitCode,
      /** The last `n` console messages, optionally only those passing `filter`. */
      consoleTail: (n = 30, filter = () => true) => consoleLines.filter(filter).slice(-n).join('\n'),
      close: () => withTimeout(browser.close(), 10_000, 'closing the browser').catch(() => {}),
    };
  } catch (err) {
    await withTimeout(browser.close(), 10_000, 'closing the browser').catch(() => {});
    throw err;
  }
}

// ----------------------------------------------------------------- UI helpers
// Selectors as seen in VS Code 1.96 web (read from its DOM; they change between VS Code versions).

export const SEL = {
  workbench: '.monaco-workbench',
  statusBar: '[id="workbench.parts.statusbar"]',
  statusItem: '[id="workbench.parts.statusbar"] .statusbar-item',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  editor: '.editor-instance .monaco-editor',
  hover: '.monaco-editor .monaco-hover:not(.hidden)',
  ghostText: '.view-lines .ghost-text-decoration, .view-lines .ghost-text-decoration-preview',
  ghostTextExtraLines: '.view-zones .suggest-preview-text',
  notification: '.notifications-toasts .notification-toast',
};

/** Waits until the workbench is up: layout done, status bar shown, extensions started. */
export async function waitForWorkbench(page, { timeout = 60_000 } = {}) {
  await page.waitForSelector(SEL.workbench, { timeout });
  await page.waitForSelector(SEL.statusBar, { timeout });
  // The explorer shows the folder once the remote connection is established.
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout }).catch(() => {});
}

/** Texts of all visible status bar items. */
export async function statusBarTexts(page) {
  return page.$$eval(SEL.statusItem, (items) =>
    items
      .filter((el) => el.offsetParent !== null)
      .map((el) => (el.textContent || '').trim())
      .filter(Boolean),
  );
}

/** Waits for a status bar item whose text matches (substring or RegExp); returns its text. */
export async function waitForStatusBarItem(page, match, { timeout = 30_000 } = {}) {
  const test = (t) => (match instanceof RegExp ? match.test(t) : t.includes(match));
  return waitFor(async () => (await statusBarTexts(page)).find(test), { timeout, what: `status bar item ${match}` });
}

/**
 * Text of the status bar item(s) an extension created, found by DOM id: VS Code
 * gives each item the id "<extension id>.<item id>" (e.g. "nanomind.nanomind.nanomind.status"),
 * so this never confuses an extension's item with a transient
 * window.setStatusBarMessage() that happens to contain the same words.
 * Returns null while no such item is visible. Codicons ($(sparkle)) have no text.
 */
export async function statusBarItemById(page, idPrefix) {
  const texts = await page.$$eval(`${SEL.statusItem}[id^="${idPrefix}"]`, (items) =>
    items.filter((el) => el.offsetParent !== null).map((el) => (el.textContent || '').trim()),
  );
  return texts.length ? texts.join(' | ') : null;
}

/** Focuses the workbench so keyboard shortcuts reach VS Code, not the page body. */
async function focusWorkbench(page) {
  // Escape closes any open quick input / hover / notification toast focus.
  await page.keyboard.press('Escape');
}

/** Opens the quick-input box with `key` and fills it with `text`. */
async function quickInput(page, key, text, { timeout = 10_000 } = {}) {
  await focusWorkbench(page);
  await page.keyboard.press(key);
  const box = page.locator(SEL.quickInputBox);
  await box.waitFor({ state: 'visible', timeout });
  await box.fill(text);
  return box;
}

/** Picks the quick-input row whose label includes `label` (waits for it), by pressing Enter on it. */
async function pickRow(page, label, { timeout = 10_000 } = {}) {
  const row = page.locator(SEL.quickInputRow, { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout });
  await row.click();
  await page
    .locator(SEL.quickInput)
    .waitFor({ state: 'hidden', timeout })
    .catch(() => {});
}

/** Runs a command from the command palette by its title, e.g. "nanomind: Solve Puzzle". */
export async function runCommand(page, title, opts = {}) {
  await quickInput(page, 'F1', `>${title}`, opts);
  await pickRow(page, title, opts);
}

/** Opens a workspace file by name with Quick Open (Ctrl+P) and waits for its editor tab. */
export async function openFile(page, name, { timeout = 15_000 } = {}) {
  await quickInput(page, 'Control+P', name, { timeout });
  await pickRow(page, path.basename(name), { timeout });
  await page
    .locator(`.tabs-container .tab[data-resource-name="${path.basename(name)}"]`)
    .first()
    .waitFor({ timeout });
  await page.locator(`${SEL.editor} .view-lines`).first().waitFor({ timeout });
  // Let the language (and our extension, on activation) attach to the document.
  await sleep(300);
}

/** Moves the cursor to a 1-based line and column with "Go to Line" (Ctrl+G). */
export async function goToPosition(page, line, column = 1, { timeout = 10_000 } = {}) {
  await quickInput(page, 'Control+G', `:${line}:${column}`, { timeout });
  await page.keyboard.press('Enter');
  await page
    .locator(SEL.quickInput)
    .waitFor({ state: 'hidden', timeout })
    .catch(() => {});
}

/** Hovers the mouse over the first occurrence of `word` in the visible editor text; returns the hover's text. */
export async function hoverWord(page, word, { timeout = 15_000, expect } = {}) {
  const token = page.locator(`${SEL.editor} .view-lines .view-line span span`, { hasText: word }).first();
  const deadline = Date.now() + timeout;
  let lastError;
  // A hover that comes up empty (the language server still starting, the editor re-rendering under the
  // mouse) is not shown again while the mouse rests: move away and hover again, as a person would.
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    try {
      // The editor may re-render its lines just after opening (the token is then briefly detached): ask again.
      const box = await waitFor(
        async () => {
          await token.waitFor({ timeout: left });
          return token.boundingBox();
        },
        { timeout: left, what: `the word "${word}" visible in the editor` },
      );
      await page.mouse.move(1, 1);
      await page.mouse.move(box.x + Math.min(box.width / 2, 8), box.y + box.height / 2, { steps: 3 });
      return await readHover(page, { timeout: Math.max(1_000, Math.min(8_000, deadline - Date.now())), expect });
    } catch (err) {
      lastError = err;
      if (Date.now() >= deadline) throw new Error(`${lastError.message} (after ${attempt} hovers)`);
    }
  }
}

/** Shows the hover at a 1-based position with the keyboard (Go to Line, then "Show Hover"); returns its text. */
export async function hoverAt(page, line, column, { timeout = 15_000, expect } = {}) {
  await goToPosition(page, line, column);
  await quickInput(page, 'F1', '>Show or Focus Hover');
  await pickRow(page, 'Show or Focus Hover');
  return readHover(page, { timeout, expect });
}

/** Text of the visible editor hover; waits until it contains `expect` (string/RegExp) when given. */
export async function readHover(page, { timeout = 15_000, expect } = {}) {
  const ok = (t) => !!t && (expect == null || (expect instanceof RegExp ? expect.test(t) : t.includes(expect)));
  let last = '';
  return waitFor(
    async () => {
      const texts = await page.$$eval(SEL.hover, (els) => els.map((e) => e.textContent || ''));
      last = texts.join('\n');
      // Providers answer at different times; "Loading..." is shown meanwhile.
      return ok(last) && !/^\s*Loading\.\.\.\s*$/.test(last) ? last : null;
    },
    { timeout, what: `a hover${expect ? ` containing ${expect}` : ''} (last seen: ${JSON.stringify(last.slice(0, 200))})` },
  );
}

/** Types text into the focused editor, key by key, as a user would. */
export async function typeText(page, text, { delay = 30 } = {}) {
  await page.keyboard.type(text, { delay });
}

/**
 * The inline-completion ghost text currently shown (empty string if none):
 * the part on the cursor's line, then the extra lines VS Code renders in a
 * view zone below it. Non-breaking spaces (how the editor renders spaces) are
 * turned back into spaces.
 */
export async function ghostText(page) {
  const inline = await page.$$eval(SEL.ghostText, (els) => els.map((e) => e.textContent || '').join(''));
  const extra = await page.$$eval(SEL.ghostTextExtraLines, (els) => els.map((e) => e.textContent || ''));
  return [inline, ...extra]
    .join('\n')
    .replace(/\u00a0/g, ' ')
    .replace(/\n+$/, '');
}

/**
 * Waits until ghost text appears (optionally containing `expect`) and returns
 * it. The line part and the extra-lines part render in separate frames, so the
 * text must read the same twice in a row before it counts.
 */
export async function waitForGhostText(page, { timeout = 10_000, expect, retrigger = false } = {}) {
  let previous = '';
  // With retrigger, ask explicitly once, halfway: VS Code now and then
  // drops an automatic request under load. Leave it off to test automatic triggering.
  let retriggerAt = retrigger ? Date.now() + timeout / 2 : Infinity;
  return waitFor(
    async () => {
      if (Date.now() > retriggerAt) {
        retriggerAt = Infinity;
        await triggerInlineSuggestion(page);
        previous = '';
      }
      const t = await ghostText(page);
      const stable = t && t === previous;
      previous = t;
      return stable && (expect == null || t.includes(expect)) ? t : null;
    },
    { timeout, interval: 50, what: `ghost text${expect ? ` containing ${JSON.stringify(expect)}` : ''}` },
  );
}

/**
 * Asks for inline suggestions now, through the palette's "Trigger Inline
 * Suggestion" (its Alt+\ keybinding did not fire when sent by Playwright).
 * Focus goes back to the editor when the palette closes.
 */
export async function triggerInlineSuggestion(page) {
  await runCommand(page, 'Trigger Inline Suggestion');
}

/**
 * Text content of the (first visible) webview. VS Code nests it twice: the
 * outer iframe.webview hosts a frame #active-frame that holds the extension's HTML.
 */
export async function webviewText(page, { timeout = 15_000, selector = 'body' } = {}) {
  const frame = page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
  const body = frame.locator(selector).first();
  await body.waitFor({ timeout });
  return body.innerText({ timeout });
}

/** Texts of visible notification toasts. */
export async function notifications(page) {
  return page.$$eval(SEL.notification, (els) => els.map((e) => (e.textContent || '').trim()));
}

/** Saves a full-page screenshot under test-results/; returns its path (never throws). */
export async function screenshot(page, name) {
  const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  try {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await withTimeout(page.screenshot({ path: file, timeout: 10_000 }), 12_000, 'screenshot');
    return file;
  } catch (err) {
    return `(screenshot failed: ${err.message})`;
  }
}
