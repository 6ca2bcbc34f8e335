// The status bar item: server state, whether inline completion is on, and the last measured latency.
import * as vscode from 'vscode';
import type { ServerStatus } from '../../server/src/protocol';

export type ClientState = 'starting' | 'running' | 'stopped';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('nanomind.status', vscode.StatusBarAlignment.Right, 100);
  private state: ClientState = 'starting';
  private server: ServerStatus | undefined;
  private stoppedReason = '';

  constructor() {
    this.item.name = 'nanomind';
    this.item.command = 'nanomind.showStatusMenu';
    this.render();
    this.item.show();
  }

  setState(state: ClientState, reason = ''): void {
    this.state = state;
    this.stoppedReason = reason;
    this.render();
  }

  setServerStatus(status: ServerStatus): void {
    this.server = status;
    this.render();
  }

  private render(): void {
    const s = this.server;
    if (this.state === 'starting') {
      this.item.text = '$(loading~spin) nanomind';
    } else if (this.state === 'stopped') {
      this.item.text = '$(error) nanomind';
    } else if (s && !s.completionEnabled) {
      this.item.text = '$(circle-slash) nanomind: off';
    } else {
      const latency = s?.lastCompletionMs != null ? ` ${Math.round(s.lastCompletionMs)} ms` : '';
      const ready = s?.brains.completion.state === 'ready';
      this.item.text = `${ready ? '$(sparkle)' : '$(circle-outline)'} nanomind${latency}`;
    }
    const md = new vscode.MarkdownString(`**nanomind** — ${this.state}${this.stoppedReason ? `: ${this.stoppedReason}` : ''}\n\n`);
    if (s) {
      md.appendMarkdown(`server ${s.version} (pid ${s.pid}), inline completion ${s.completionEnabled ? 'on' : 'off'}\n\n`);
      for (const [brain, b] of Object.entries(s.brains)) {
        md.appendMarkdown(`- ${brain}: ${b.state === 'ready' ? 'ready' : b.detail}\n`);
      }
      if (s.lastCompletionMs != null) md.appendMarkdown(`\nlast completion: ${s.lastCompletionMs.toFixed(1)} ms\n`);
    }
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
