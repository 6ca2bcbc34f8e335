// A tiny test runner for the extension-host suite. mocha is not available
// inside code-server's extension host (and we don't want to bundle one), so:
// named async tests run in order, each under its own timeout, pass/fail is
// logged per test, and a closing "N passed, N failed" line is printed.
//
// Results also go to the JSON file named by NANOMIND_E2E_RESULTS (set by
// test/e2e/run.mjs; code-server passes its environment on to the extension
// host), so the runner outside does not depend on log forwarding.
'use strict';

const fs = require('fs');

function createSuite() {
  const tests = [];

  /** Registers a test. `timeout` in ms (default 20 s). */
  function test(name, fn, { timeout = 20_000 } = {}) {
    tests.push({ name, fn, timeout });
  }

  function withTimeout(promise, ms, name) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`test "${name}" timed out after ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Runs all registered tests; resolves if all passed, rejects otherwise. */
  async function run({ header } = {}) {
    const results = [];
    const log = (line) => console.log(`[nanomind-e2e] ${line}`);
    if (header) log(header);
    for (const t of tests) {
      const started = Date.now();
      try {
        // A test may return an object of measurements; it is reported with the result.
        const info = await withTimeout(Promise.resolve().then(t.fn), t.timeout, t.name);
        results.push({ name: t.name, ok: true, ms: Date.now() - started, info: info && typeof info === 'object' ? info : undefined });
        log(`ok   ${t.name} (${Date.now() - started} ms)`);
      } catch (err) {
        const message = (err && err.stack) || String(err);
        results.push({ name: t.name, ok: false, ms: Date.now() - started, error: message });
        log(`FAIL ${t.name} (${Date.now() - started} ms)\n${message}`);
      }
    }
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    log(`${passed} passed, ${failed} failed`);

    const file = process.env.NANOMIND_E2E_RESULTS;
    if (file) {
      try {
        fs.writeFileSync(file, JSON.stringify({ header, results, passed, failed }, null, 2));
      } catch (err) {
        log(`could not write results to ${file}: ${err.message}`);
      }
    }
    if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
  }

  return { test, run };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeout` ms). */
async function waitFor(fn, { timeout = 10_000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

module.exports = { createSuite, waitFor };
