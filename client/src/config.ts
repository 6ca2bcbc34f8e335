// Typed view of the `nanomind.*` settings. Knows which changes only take effect after a restart
// (the document selector is fixed when the language client starts).
import * as vscode from 'vscode';
import { defaultSettings, type NanomindSettings } from '../../server/src/protocol';

export const section = 'nanomind';

export class Config {
  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(section);
  }

  get completionEnabled(): boolean {
    return this.cfg.get<boolean>('completion.enabled', defaultSettings.completion.enabled);
  }
  get languages(): string[] {
    return this.cfg.get<string[]>('completion.languages', defaultSettings.completion.languages);
  }
  get debounceMs(): number {
    return clamp(this.cfg.get<number>('completion.debounceMs', 75), 0, 2000);
  }

  /** The settings the server honours, in the shape of the protocol. */
  get serverSettings(): NanomindSettings {
    // package.json declares the same defaults; these fallbacks only matter where it is not read (tests).
    const c = this.cfg;
    const d = defaultSettings;
    return {
      completion: {
        enabled: this.completionEnabled,
        languages: this.languages,
        maxContextTokens: c.get<number>('completion.maxContextTokens', d.completion.maxContextTokens),
        maxTokens: c.get<number>('completion.maxTokens', d.completion.maxTokens),
        threshold: c.get<number>('completion.threshold', d.completion.threshold),
        singleLineThreshold: c.get<number>('completion.singleLineThreshold', d.completion.singleLineThreshold),
        decoder: c.get<NanomindSettings['completion']['decoder']>('completion.decoder', d.completion.decoder),
      },
      memory: { budget: c.get<number>('memory.budget', d.memory.budget) },
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
