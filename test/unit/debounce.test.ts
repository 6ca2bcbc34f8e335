import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { debounceInlineCompletions } from '../../client/src/debounce';
import type { RequestTiming } from '../../client/src/statusBar';

type Provide = ReturnType<typeof debounceInlineCompletions>;
type Next = Parameters<Provide>[4];

/** A cancellation token the test cancels by hand. */
function tokenSource() {
  const listeners: (() => void)[] = [];
  const token = {
    isCancellationRequested: false,
    onCancellationRequested: (listener: () => void) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener) >>> 0, 1) };
    },
  };
  return {
    token: token as unknown as vscode.CancellationToken,
    cancel: () => {
      token.isCancellationRequested = true;
      for (const l of [...listeners]) l();
    },
  };
}

const automatic = { triggerKind: 1, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;
const invoked = { triggerKind: 0, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;
const doc = {} as vscode.TextDocument;
const pos = {} as vscode.Position;
const item = { insertText: 'i++) {' } as vscode.InlineCompletionItem;

/** The middleware with a fixed typing pause, the timings it reports, and a `next` that records when it was called. */
function debounced(delayMs: number) {
  const timings: RequestTiming[] = [];
  const provide = debounceInlineCompletions(
    () => delayMs,
    (t) => timings.push(t),
  );
  const calls: number[] = [];
  const next = (async () => {
    calls.push(performance.now());
    return [item];
  }) as unknown as Next;
  return { provide, timings, calls, next };
}

describe('debounceInlineCompletions', () => {
  it('waits out the typing pause before an automatic request', async () => {
    const { provide, timings, calls, next } = debounced(60);
    const started = performance.now();
    const result = await provide(doc, pos, automatic, tokenSource().token, next);
    assert.deepEqual(result, [item]);
    assert.equal(calls.length, 1);
    assert.ok(calls[0] - started >= 55, `sent ${calls[0] - started} ms after the keystroke`);
    assert.equal(timings.length, 1);
    assert.equal(timings[0].debounceMs, 60);
    assert.equal(timings[0].answered, true);
  });

  it('drops an automatic request whose keystroke was followed by another during the pause', async () => {
    const { provide, timings, calls, next } = debounced(60);
    const source = tokenSource();
    const pending = provide(doc, pos, automatic, source.token, next);
    setTimeout(source.cancel, 10);
    assert.equal(await pending, null);
    assert.equal(calls.length, 0);
    assert.equal(timings.length, 0);
  });

  it('sends a request the user asked for at once, whatever the typing pause', async () => {
    const { provide, timings, calls, next } = debounced(2000);
    const started = performance.now();
    const result = await provide(doc, pos, invoked, tokenSource().token, next);
    assert.deepEqual(result, [item]);
    assert.equal(calls.length, 1);
    assert.ok(calls[0] - started < 50, `sent ${calls[0] - started} ms after the command`);
    assert.equal(timings[0].debounceMs, 0);
  });
});
