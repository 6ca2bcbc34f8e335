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
import { Config } from './config';
import { reportSettledCursor } from './cursor';
import { debounceInlineCompletions } from './debounce';
import { PuzzleController } from './puzzles';
import { StatusBar } from './statusBar';
import { onNotification, sendRequest } from './typed';

/** The server is restarted after each unexpected exit until this many happen within the window (README). */
const maxCrashes = 4;
const restartWindowMs = 3 * 60_000;

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly statusBar = new StatusBar();
  readonly output = vscode.window.createOutputChannel('nanomind', { log: true });
  readonly puzzles = new PuzzleController(() => this.client);
  private client: LanguageClient | undefined;
  private readonly disposables: vscode.Disposable[] = [this.statusBar, this.output, this.puzzles];
  private readonly crashes: number[] = [];
  private toldAboutRestart = false;

  constructor(readonly extension: vscode.ExtensionContext) {}

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  async start(): Promise<void> {
    const serverModule = this.extension.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      // Inline completion is only registered when a selector is given (FACTS.md).
      documentSelector: [
        ...this.config.languages.map((language) => ({ language })),
        { language: 'sudoku' },
        { language: 'maze' },
      ],
      initializationOptions: { settings: this.config.serverSettings },
      outputChannel: this.output,
      errorHandler: this.errorHandler(),
      middleware: {
        provideInlineCompletionItems: debounceInlineCompletions(() => this.config.debounceMs),
      },
      // Sends the whole `nanomind` section on every change; the server parses it field by field.
      synchronize: { configurationSection: 'nanomind' },
    };
    const client = new LanguageClient('nanomind', 'nanomind', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.statusBar.setState('running');
      else if (e.newState === State.Starting) this.statusBar.setState('starting');
      else this.statusBar.setState('stopped');
    });
    this.statusBar.setState('starting');
    await client.start();
    this.push(onNotification(client, StatusNotification, (s) => this.statusBar.setServerStatus(s)));
    this.push(reportSettledCursor(() => this.client, this.config));
    this.statusBar.setServerStatus(await sendRequest(client, StatusRequest, undefined));
  }

  async restart(): Promise<void> {
    this.crashes.length = 0;
    if (!this.client) return this.start();
    this.statusBar.setState('starting');
    await this.client.restart();
    this.statusBar.setServerStatus(await sendRequest(this.client, StatusRequest, undefined));
  }

  /** The server's current status, asked fresh (the status bar's copy may lag by one notification). */
  async serverStatus(): Promise<{ state: 'starting' | 'running' | 'stopped'; models?: ServerStatus['brains']; server?: ServerStatus }> {
    const c = this.client;
    if (!c || c.state === State.Stopped) return { state: 'stopped' };
    if (c.state === State.Starting) return { state: 'starting' };
    const server = await sendRequest(c, StatusRequest, undefined);
    return { state: 'running', models: server.brains, server };
  }

  push(d: vscode.Disposable): void {
    this.disposables.push(d);
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count) =>
        (count ?? 0) <= 3 ? { action: ErrorAction.Continue } : { action: ErrorAction.Shutdown },
      closed: () => {
        const now = Date.now();
        this.crashes.push(now);
        while (this.crashes.length && now - this.crashes[0] > restartWindowMs) this.crashes.shift();
        if (this.crashes.length >= maxCrashes) {
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
    const c = this.client;
    this.client = undefined;
    if (c) await c.stop().catch(() => undefined);
    for (const d of this.disposables) d.dispose();
  }
}
