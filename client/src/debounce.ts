// Waits for a pause in typing before asking the server for ghost text: each keystroke cancels the
// previous request's token, so only the last request of a burst reaches the server.
import type * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient';

type Provide = NonNullable<Middleware['provideInlineCompletionItems']>;

export function debounceInlineCompletions(delayMs: () => number): Provide {
  return async (document, position, context, token, next) => {
    const ms = delayMs();
    if (ms > 0) {
      const stillWanted = await sleepUnlessCancelled(ms, token);
      if (!stillWanted) return null;
    }
    return next(document, position, context, token);
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
