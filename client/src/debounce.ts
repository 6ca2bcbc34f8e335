// Waits for a pause in typing before asking the server for ghost text: each keystroke cancels the
// previous request's token, so only the last request of a burst reaches the server. A request the user
// asked for (the "Trigger Inline Suggestion" command) is no burst and goes at once. Then times the
// request as the user waits for it (sent -> answer received), for the status bar.
import type * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient';
import type { RequestTiming } from './statusBar';

type Provide = NonNullable<Middleware['provideInlineCompletionItems']>;

/** InlineCompletionTriggerKind.Invoke: the enum's value (this file loads without the editor's vscode module). */
const invoked: vscode.InlineCompletionTriggerKind = 0;

export function debounceInlineCompletions(delayMs: () => number, onAnswer: (timing: RequestTiming) => void): Provide {
  return async (document, position, context, token, next) => {
    const ms = context.triggerKind === invoked ? 0 : delayMs();
    if (ms > 0) {
      const stillWanted = await sleepUnlessCancelled(ms, token);
      if (!stillWanted) return null;
    }
    const sent = performance.now();
    const result = await next(document, position, context, token);
    // A cancelled request's answer is never shown, so its time is not what the user waited for.
    if (!token.isCancellationRequested) {
      const items = Array.isArray(result) ? result : (result?.items ?? []);
      onAnswer({ ms: performance.now() - sent, debounceMs: ms, answered: items.length > 0 });
    }
    return result;
  };
}

function sleepUnlessCancelled(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve(false);
    });
  });
}
