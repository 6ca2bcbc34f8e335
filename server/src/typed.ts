// Server side of the typed protocol: registers handlers and sends notifications by method name,
// keeping the parameter and result types of server/src/protocol.ts.
import type { CancellationToken, Connection } from 'vscode-languageserver';
import type { Notification, Request } from './protocol';

export function onRequest<P, R>(connection: Connection, type: Request<P, R>, handler: (params: P, token: CancellationToken) => R | Promise<R>): void {
  // vscode-jsonrpc calls a handler with the params (spread when they are an array) and then the token, or with
  // the token alone when the request has no params: the handler gets undefined then, so "no params" and
  // `params: null` stay apart.
  connection.onRequest(type.method, async (...args: unknown[]) => {
    const token = args.pop() as CancellationToken;
    return (await handler((args.length === 0 ? undefined : args.length === 1 ? args[0] : args) as P, token)) as never;
  });
}

export function sendNotification<P>(connection: Connection, type: Notification<P>, params: P): Promise<void> {
  return connection.sendNotification(type.method, params);
}

export function onNotification<P>(connection: Connection, type: Notification<P>, handler: (params: P) => void): void {
  connection.onNotification(type.method, (params: unknown) => handler(params as P));
}
