// The LSP 3.18 lifecycle rules that vscode-languageserver leaves to the server: before `initialize`, a
// request is answered with ServerNotInitialized (-32002) and a notification other than `exit` is dropped;
// `initialize` is accepted once; after `shutdown`, a request is answered with InvalidRequest (-32600) and
// a notification other than `exit` is dropped. Also, a request whose params are there but not an object
// (`null`, a number, an array: every LSP and nanomind request takes an object) gets InvalidParams (-32602)
// before a handler, or the library's wrapper around it (which reads fields of the params), sees it.
// Every incoming message passes `handleMessage` (a vscode-jsonrpc MessageStrategy) first. A refused
// request is handed on renamed to `refusedMethod`, whose handler answers with the error decided here, so
// the library still writes the response (with the request's id) and keeps its own bookkeeping.
import { isObject } from './params';
import { ErrorCodes, ResponseError, type Message, type NotificationMessage, type RequestMessage } from 'vscode-languageserver';

/** What a vscode-jsonrpc MessageStrategy returns (its NotificationResult, not re-exported by vscode-languageserver). */
type NotificationResult = void | Promise<void>;

export const refusedMethod = 'nanomind/$refused';

type State = 'waiting' | 'running' | 'shut down';

export class Lifecycle {
  private state: State = 'waiting';
  /** Errors for refused requests, in the order they were handed on (handlers run in that order). */
  private readonly refusals: ResponseError<void>[] = [];

  handleMessage(message: Message, next: (message: Message) => NotificationResult): NotificationResult {
    const { method, id } = message as Partial<RequestMessage>;
    if (typeof method !== 'string') return next(message); // a response: not ours to judge
    const isRequest = id !== undefined;
    if (!isRequest) {
      const dropped = method !== 'exit' && method !== '$/cancelRequest' && this.state !== 'running';
      return dropped ? undefined : next(message as NotificationMessage);
    }
    const params = (message as RequestMessage).params;
    const refusal =
      this.judge(method) ??
      (params === undefined || isObject(params) ? undefined : new ResponseError(ErrorCodes.InvalidParams, `'${method}': params must be an object`));
    if (!refusal) {
      if (method === 'initialize') this.state = 'running';
      if (method === 'shutdown') this.state = 'shut down';
      return next(message);
    }
    this.refusals.push(refusal);
    const renamed: RequestMessage = { ...(message as RequestMessage), method: refusedMethod, params: undefined };
    return next(renamed);
  }

  /** The handler of `refusedMethod`: the error decided for the request it stands for. */
  refused(): never {
    throw this.refusals.shift() ?? new ResponseError(ErrorCodes.MethodNotFound, `Unhandled method ${refusedMethod}`);
  }

  /** The error for a request in the current state, if any (the state moves on only for an accepted request). */
  private judge(method: string): ResponseError<void> | undefined {
    switch (this.state) {
      case 'waiting':
        if (method !== 'initialize')
          return new ResponseError(ErrorCodes.ServerNotInitialized, `'${method}' before 'initialize': the server is not initialized`);
        return undefined;
      case 'running':
        if (method === 'initialize') return new ResponseError(ErrorCodes.InvalidRequest, "'initialize' was already received");
        return undefined;
      case 'shut down':
        return new ResponseError(ErrorCodes.InvalidRequest, `'${method}' after 'shutdown': the server is shutting down`);
    }
  }
}
