// Typed view of the `nanomind.*` settings. Knows which changes only take effect after a restart
// (the document selector is fixed when the language client starts).
import * as vscode from 'vscode';
import type { NanomindSettings } from '../../server/src/protocol';

export const section = 'nanomind';

export class Config {
  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(section);
  }

  get completionEnabled(): boolean {
    return this.cfg.get<boolean>('completion.enabled', true);
  }
  get languages(): string[] {
    return this.cfg.get<string[]>('completion.languages', []);
  }
  get debounceMs(): number {
    return clamp(this.cfg.get<number>('completion.debounceMs', 75), 0, 2000);
  }

  /** The settings the server honours, in the shape of the protocol. */
  get serverSettings(): NanomindSettings {
    const c = this.cfg;
    return {
      completion: {
        enabled: this.completionEnabled,
        languages: this.languages,
        maxContextTokens: c.get<number>('completion.maxContextTokens', 512),
        maxTokens: c.get<number>('completion.maxTokens', 64),
        threshold: c.get<number>('completion.threshold', 0.3),
        singleLineThreshold: c.get<number>('completion.singleLineThreshold', 0.9),
        decoder: c.get<'diffusion' | 'autoregressive'>('completion.decoder', 'diffusion'),
      },
      memory: { budget: c.get<number>('memory.budget', 0.25) },
    };
  }

  async setCompletionEnabled(enabled: boolean): Promise<void> {
    await this.cfg.update('completion.enabled', enabled, vscode.ConfigurationTarget.Global);
  }

  /** True when a change touches a setting that is only read when the server starts. */
  static needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
    return e.affectsConfiguration(`${section}.completion.languages`);
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number.isFinite(n) ? n : lo));
}
