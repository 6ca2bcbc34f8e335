// Client side of the typed protocol: sends requests and listens to notifications by method name,
// keeping the parameter and result types of server/src/protocol.ts.
import type { CancellationToken, Disposable } from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import type { Notification, Request } from '../../server/src/protocol';

export function sendRequest<P, R>(client: BaseLanguageClient, type: Request<P, R>, params: P, token?: CancellationToken): Promise<R> {
  // vscode-jsonrpc sends an undefined argument as null and several arguments as an array: `(method, undefined)`
  // goes out as `params: [null]` and `(method, params, undefined)` as `[params, null]`, both refused by the
  // server as invalid params (server/src/typed.ts). So only the arguments there are are passed.
  if (params === undefined) return token ? client.sendRequest<R>(type.method, token) : client.sendRequest<R>(type.method);
  return token ? client.sendRequest<R>(type.method, params, token) : client.sendRequest<R>(type.method, params);
}

export function onNotification<P>(client: BaseLanguageClient, type: Notification<P>, handler: (params: P) => void): Disposable {
  return client.onNotification(type.method, (params: unknown) => handler(params as P));
}

export function sendNotification<P>(client: BaseLanguageClient, type: Notification<P>, params: P): Promise<void> {
  return client.sendNotification(type.method, params);
}
