// UI checks driven by Playwright on a real VS Code workbench (code-server) with
// the extension under development loaded and a copy of the demo workspace open.
// They check what a person sees: status bar, command palette, hovers.
//
// Each check is { name, timeout, fn(ctx) }; ctx = { page, workspace, server }.
// They run in order on the same page; test/e2e/run.mjs takes a screenshot
// under test-results/ when one fails.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

// nanomind's own status bar item(s): VS Code gives them DOM ids starting with
// the extension id. (Matching by text alone would also pick up transient
// setStatusBarMessage() texts such as "nanomind: inline completion off".)
const ITEM_ID_PREFIX = 'nanomind.nanomind.';

/** The nanomind status bar item's text (waits for it). */
const nanomindItem = (page, timeout = 30_000) =>
  h.waitFor(() => h.statusBarItemById(page, ITEM_ID_PREFIX), { timeout, what: `a status bar item with id ${ITEM_ID_PREFIX}*` });

/** Waits until the nanomind item's text has not changed for `quietMs` (the server may still be starting). */
async function stableNanomindText(page, { quietMs = 1_500, timeout = 30_000 } = {}) {
  let last = await nanomindItem(page, timeout);
  let since = Date.now();
  return h.waitFor(
    async () => {
      const now = await nanomindItem(page, timeout);
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs ? now : null;
    },
    { timeout, interval: 250, what: 'the nanomind status bar item to settle' },
  );
}

/** First declared identifier in a source file: a word a hover can attach to. */
function firstIdentifier(file) {
  const m = /\b(?:function|class|const|let|var|def|interface)\s+([A-Za-z_]\w*)/.exec(fs.readFileSync(file, 'utf8'));
  assert.ok(m, `${path.basename(file)} declares an identifier`);
  return m[1];
}

export const tests = [
  {
    name: 'status bar shows the nanomind item',
    timeout: 45_000,
    async fn({ page }) {
      const text = await nanomindItem(page, 40_000);
      assert.match(text, /nanomind/i);
    },
  },
  {
    name: 'palette: "nanomind: Toggle Inline Completion" changes the status bar, and back',
    timeout: 60_000,
    async fn({ page }) {
      const before = await stableNanomindText(page);
      await h.runCommand(page, 'nanomind: Toggle Inline Completion');
      const after = await h.waitFor(
        async () => {
          const t = await nanomindItem(page);
          return t !== before ? t : null;
        },
        { timeout: 10_000, what: `the status bar item to change from ${JSON.stringify(before)}` },
      );
      console.log(`    status bar: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
      // Toggle back so later checks see completion enabled again.
      await h.runCommand(page, 'nanomind: Toggle Inline Completion');
      await h.waitFor(async () => (await nanomindItem(page)) === before, {
        timeout: 10_000,
        what: `the status bar item to return to ${JSON.stringify(before)}`,
      });
    },
  },
  {
    name: 'hover over a word in example.ts shows nanomind',
    timeout: 60_000,
    async fn({ page, workspace }) {
      const word = firstIdentifier(path.join(workspace, 'example.ts'));
      await h.openFile(page, 'example.ts');
      const text = await h.hoverWord(page, word, { expect: /nanomind/i, timeout: 30_000 });
      assert.match(text, /nanomind/i);
    },
  },
];

// A deliberate failure, to prove that a failing UI check fails the run (and
// that the screenshot-on-failure path works).
if (process.env.NANOMIND_E2E_SELFTEST_FAIL === '1') {
  tests.push({
    name: 'self-test: deliberate UI failure (NANOMIND_E2E_SELFTEST_FAIL=1)',
    timeout: 10_000,
    async fn({ page }) {
      await h.waitForStatusBarItem(page, 'this text is never in the status bar', { timeout: 2_000 });
    },
  });
}
