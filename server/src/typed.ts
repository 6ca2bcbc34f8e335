// Server side of the typed protocol: registers handlers and sends notifications by method name,
// keeping the parameter and result types of server/src/protocol.ts.
import type { CancellationToken, Connection } from 'vscode-languageserver';
import type { Notification, Request } from './protocol';

export function onRequest<P, R>(
  connection: Connection,
  type: Request<P, R>,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  connection.onRequest(type.method, async (params: unknown, token: CancellationToken) => (await handler(params as P, token)) as never);
}

export function sendNotification<P>(connection: Connection, type: Notification<P>, params: P): Promise<void> {
  return connection.sendNotification(type.method, params);
}

export function onNotification<P>(connection: Connection, type: Notification<P>, handler: (params: P) => void): void {
  connection.onNotification(type.method, (params: unknown) => handler(params as P));
}
