// Client side of the typed protocol: sends requests and listens to notifications by method name,
// keeping the parameter and result types of server/src/protocol.ts.
import type { CancellationToken, Disposable } from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import type { Notification, Request } from '../../server/src/protocol';

export function sendRequest<P, R>(client: BaseLanguageClient, type: Request<P, R>, params: P, token?: CancellationToken): Promise<R> {
  return params === undefined ? client.sendRequest<R>(type.method, token) : client.sendRequest<R>(type.method, params, token);
}

export function onNotification<P>(client: BaseLanguageClient, type: Notification<P>, handler: (params: P) => void): Disposable {
  return client.onNotification(type.method, (params: unknown) => handler(params as P));
}

export function sendNotification<P>(client: BaseLanguageClient, type: Notification<P>, params: P): Promise<void> {
  return client.sendNotification(type.method, params);
}
