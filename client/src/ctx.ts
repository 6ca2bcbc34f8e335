// The extension's context object: owns the language client, the status bar and every disposable.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { StatusNotification, StatusRequest, type ServerStatus } from '../../server/src/protocol';
import { allocatorEnv } from '../../server/src/runtime/allocator';
import { Config } from './config';
import { reportSettledCursor } from './cursor';
import { debounceInlineCompletions } from './debounce';
import { MemoryMap } from './memoryMap';
import { PuzzleController, puzzleLanguages } from './puzzles';
import { StatusBar, type RequestTiming } from './statusBar';
import { onNotification, sendRequest } from './typed';

/** When the first suggestion arrived, measured from activation (for tests and the output channel). */
export interface FirstSuggestion {
  /** Activation -> the first request's answer with a suggestion in it. */
  afterActivationMs: number;
  /** That request alone: sent -> answered. */
  requestMs: number;
}

/** What `nanomind.serverStatus` answers (tests and scripts read it). */
export interface ClientReport {
  state: 'starting' | 'running' | 'stopped';
  models?: ServerStatus['brains'];
  server?: ServerStatus;
  client: {
    statusBarText: string;
    lastRequest: RequestTiming | undefined;
    firstSuggestion: FirstSuggestion | undefined;
    documentSelector: LanguageClientOptions['documentSelector'];
  };
}

/** How many unexpected server exits we absorb, and over which window, before giving up. */
const maxRestarts = 4;
const restartWindowMs = 3 * 60_000;

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly statusBar = new StatusBar();
  /** The "Show log" channel: the client's own lines and everything the server logs (the LanguageClient writes here). */
  readonly output = vscode.window.createOutputChannel('nanomind', { log: true });
  readonly puzzles = new PuzzleController(
    () => this.client,
    this.output,
    (languageId) => this.syncedLanguages().includes(languageId),
  );
  /** "Show Memory Map"'s fade of the text the completion model dropped. */
  readonly memoryMap = new MemoryMap();
  private client: LanguageClient | undefined;
  /** Handlers that belong to one client; disposed with it when the server restarts. */
  private clientDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [this.statusBar, this.output, this.puzzles, this.memoryMap];
  private readonly activatedAt = performance.now();
  private firstSuggestion: FirstSuggestion | undefined;
  private lastRequest: RequestTiming | undefined;
  /** Each brain's last logged state, so the output channel gets one line per change. */
  private readonly brainStates = new Map<string, string>();
  private readonly crashes: number[] = [];
  private toldAboutRestart = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.push(reportSettledCursor(() => this.client, this.config));
    this.push(vscode.window.onDidChangeActiveTextEditor(() => this.showEditorLanguage()));
    this.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('nanomind.completion.languages') && this.showEditorLanguage()));
    this.showEditorLanguage();
  }

  /** The languages whose documents the client sends to the server: the completion languages and puzzle files. */
  private syncedLanguages(): string[] {
    return [...this.config.languages, ...puzzleLanguages];
  }

  /** Tells the status bar when the active file's language gets no inline completion (puzzle files need none). */
  private showEditorLanguage(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const id = doc && ['file', 'untitled'].includes(doc.uri.scheme) ? doc.languageId : undefined;
    this.statusBar.setLanguageNotCompleted(id && !this.syncedLanguages().includes(id) ? id : undefined);
  }

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  /**
   * Starts a new language client built from the settings as they are now (the document selector is fixed
   * when a client is created, so a restart after a settings change must build a new one).
   */
  async start(): Promise<void> {
    const serverModule = this.extension.asAbsolutePath('dist/server.js');
    // The server keeps V8's compiled code of itself there, so a later start skips compiling it (server/src/boot.ts).
    // The allocator settings keep a long session's memory bounded (server/src/runtime/allocator.ts).
    const env = { ...allocatorEnv, NANOMIND_CODE_CACHE: vscode.Uri.joinPath(this.extension.globalStorageUri, 'code-cache').fsPath };
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc, options: { env } },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'], env } },
    };
    const clientOptions: LanguageClientOptions = {
      // vscode-languageclient registers its inline completion provider only for a client with a document selector.
      documentSelector: this.syncedLanguages().map((language) => ({ language })),
      // The server keeps its optimized model graphs there (server/src/runtime/optimizedModels.ts).
      initializationOptions: { settings: this.config.serverSettings, storagePath: this.extension.globalStorageUri.fsPath },
      outputChannel: this.output,
      errorHandler: this.errorHandler(),
      middleware: {
        provideInlineCompletionItems: debounceInlineCompletions(
          () => this.config.debounceMs,
          (t) => this.recordRequest(t),
        ),
        // The memory hover is opt-in (nanomind.memory.hover): without a trained memory model it only counts tokens.
        provideHover: (document, position, token, next) => (this.config.memoryHover ? next(document, position, token) : null),
      },
      // Sends the whole `nanomind` section on every change; the server parses it field by field.
      synchronize: { configurationSection: 'nanomind' },
    };
    const client = new LanguageClient('nanomind', 'nanomind', serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) this.statusBar.setState('running');
        else if (e.newState === State.Starting) this.statusBar.setState('starting');
        else this.statusBar.setState('stopped');
        this.output.info(`server ${State[e.newState].toLowerCase()}`);
      }),
    );
    this.statusBar.setState('starting');
    const started = performance.now();
    await client.start();
    this.output.info(
      `server started in ${Math.round(performance.now() - started)} ms (${Math.round(performance.now() - this.activatedAt)} ms after activation)`,
    );
    this.clientDisposables.push(onNotification(client, StatusNotification, (s) => this.onServerStatus(s)));
    this.onServerStatus(await sendRequest(client, StatusRequest, undefined));
  }

  /** Stops and disposes the running client, then starts a new one with the current settings. */
  async restart(): Promise<void> {
    this.crashes.length = 0;
    this.statusBar.setState('starting');
    await this.stopClient();
    await this.start();
  }

  private async stopClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables) d.dispose();
    this.clientDisposables = [];
    if (!c) return;
    // dispose() stops the server (waiting up to 2 s for it to exit) and releases the client's providers.
    await c.dispose(2000).catch((e: unknown) => this.output.warn(`stopping the server: ${String(e)}`));
  }

  private recordRequest(t: RequestTiming): void {
    this.lastRequest = t;
    this.statusBar.setLastRequest(t);
    if (t.answered && !this.firstSuggestion) {
      this.firstSuggestion = { afterActivationMs: performance.now() - this.activatedAt, requestMs: t.ms };
      this.output.info(
        `first suggestion ${Math.round(this.firstSuggestion.afterActivationMs)} ms after activation (the request itself: ${Math.round(t.ms)} ms)`,
      );
    }
    this.output.trace(`inline completion: ${Math.round(t.ms)} ms from request to answer${t.answered ? '' : ', no suggestion'}`);
  }

  /** Shows the server's status and logs each brain that changed state, with its reason. */
  private onServerStatus(s: ServerStatus): void {
    for (const [brain, b] of Object.entries(s.brains)) {
      const key = `${b.state}: ${b.detail}`;
      if (this.brainStates.get(brain) === key) continue;
      this.brainStates.set(brain, key);
      if (b.state === 'ready') this.output.info(`${brain} brain ready (${b.detail})`);
      else this.output.warn(`${brain} brain cannot run: ${b.detail}`);
    }
    this.statusBar.setServerStatus(s);
  }

  /** The server's current status, asked fresh (the status bar's copy may lag by one notification). */
  async serverStatus(): Promise<ClientReport> {
    const c = this.client;
    const client = {
      statusBarText: this.statusBar.text,
      lastRequest: this.lastRequest,
      firstSuggestion: this.firstSuggestion,
      documentSelector: c?.clientOptions.documentSelector,
    };
    if (!c || c.state === State.Stopped) return { state: 'stopped', client };
    if (c.state === State.Starting) return { state: 'starting', client };
    const server = await sendRequest(c, StatusRequest, undefined);
    return { state: 'running', models: server.brains, server, client };
  }

  push(d: vscode.Disposable): void {
    this.disposables.push(d);
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count) => ((count ?? 0) <= 3 ? { action: ErrorAction.Continue } : { action: ErrorAction.Shutdown }),
      closed: () => {
        const now = Date.now();
        this.crashes.push(now);
        while (this.crashes.length && now - this.crashes[0] > restartWindowMs) this.crashes.shift();
        if (this.crashes.length >= maxRestarts) {
          this.statusBar.setState('stopped', 'crashed repeatedly');
          return {
            action: CloseAction.DoNotRestart,
            message: `nanomind: the server stopped ${this.crashes.length} times in 3 minutes and was not restarted. Run "nanomind: Restart Server" to try again.`,
          };
        }
        // Tell the user once per session; later restarts go to the output channel only.
        const handled = this.toldAboutRestart;
        if (!handled) {
          this.toldAboutRestart = true;
          void vscode.window.showWarningMessage('nanomind: the language server stopped unexpectedly and was restarted.');
        }
        this.output.warn('server connection closed; restarting');
        return { action: CloseAction.Restart, handled: true };
      },
    };
  }

  async dispose(): Promise<void> {
    await this.stopClient();
    for (const d of this.disposables) d.dispose();
  }
}
