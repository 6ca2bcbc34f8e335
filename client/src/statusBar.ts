// The status bar item: server state, whether inline completion is on, the time the last suggestion took as
// the client saw it (request sent -> answer received), when a brain cannot run, that it cannot and why, and when
// the active editor's language gets no inline completion (not in nanomind.completion.languages), that it does not.
import * as vscode from 'vscode';
import type { BrainName, ServerStatus } from '../../server/src/protocol';
import { brainLine, completionProblemLabel, formatMs } from './brainText';

export type ClientState = 'starting' | 'running' | 'stopped';

/** One inline-completion request as the client measured it. */
export interface RequestTiming {
  /** From sending the request to receiving the answer (what the user waits for after the typing pause). */
  ms: number;
  /** The typing pause the client waited before sending it. */
  debounceMs: number;
  /** Whether the answer held a suggestion. */
  answered: boolean;
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('nanomind.status', vscode.StatusBarAlignment.Right, 100);
  private state: ClientState = 'starting';
  private server: ServerStatus | undefined;
  private stoppedReason = '';
  private last: RequestTiming | undefined;
  /** The active editor's language when it gets no inline completion (undefined: it does, or no editor). */
  private notCompleted: string | undefined;

  constructor() {
    this.item.name = 'nanomind';
    this.item.command = 'nanomind.showStatusMenu';
    this.render();
    this.item.show();
  }

  setState(state: ClientState, reason = ''): void {
    this.state = state;
    this.stoppedReason = reason;
    // A new server has answered nothing yet: the last request's time was the old one's.
    if (state === 'starting') this.last = undefined;
    this.render();
  }

  /** The active editor's language, when inline completion is not offered for it (else undefined). */
  setLanguageNotCompleted(languageId: string | undefined): void {
    this.notCompleted = languageId;
    this.render();
  }

  setServerStatus(status: ServerStatus): void {
    this.server = status;
    this.render();
  }

  setLastRequest(timing: RequestTiming): void {
    this.last = timing;
    this.render();
  }

  /** What the item shows now (for tests and scripts). */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const s = this.server;
    const completionProblem = s ? completionProblemLabel(s.brains.completion) : undefined;
    if (this.state === 'starting') {
      this.item.text = '$(loading~spin) nanomind';
    } else if (this.state === 'stopped') {
      this.item.text = '$(error) nanomind: stopped';
    } else if (s && !s.completionEnabled) {
      this.item.text = '$(circle-slash) nanomind: off';
    } else if (completionProblem) {
      this.item.text = `$(warning) nanomind: ${completionProblem}`;
    } else if (this.notCompleted) {
      this.item.text = `$(circle-slash) nanomind: not for ${this.notCompleted}`;
    } else {
      this.item.text = `$(sparkle) nanomind${this.last ? ` ${formatMs(this.last.ms)}` : ''}`;
    }
    this.item.backgroundColor = completionProblem && this.state === 'running' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = this.tooltip();
  }

  private tooltip(): vscode.MarkdownString {
    const s = this.server;
    const md = new vscode.MarkdownString(`**nanomind** — ${this.state}${this.stoppedReason ? `: ${this.stoppedReason}` : ''}\n\n`);
    if (this.notCompleted) md.appendMarkdown(`no inline completion in ${this.notCompleted} files (setting \`nanomind.completion.languages\`)\n\n`);
    if (this.last) {
      const l = this.last;
      md.appendMarkdown(
        `last suggestion request: ${formatMs(l.ms)} from request to answer${l.answered ? '' : ' (no suggestion)'}, after a ${formatMs(l.debounceMs)} pause in typing\n\n`,
      );
    }
    if (s) {
      md.appendMarkdown(`server ${s.version} (pid ${s.pid}), inline completion ${s.completionEnabled ? 'on' : 'off'}\n\n`);
      for (const [brain, b] of Object.entries(s.brains)) {
        md.appendMarkdown(`- ${brain}: ${brainLine(brain as BrainName, b)}\n`);
      }
      if (s.lastCompletionMs != null) md.appendMarkdown(`\nthe server's own time for its last suggestion: ${formatMs(s.lastCompletionMs)}\n`);
    }
    return md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
