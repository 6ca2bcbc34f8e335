// Typed view of the `nanomind.*` settings. Defaults and ranges come from `settingSpecs`
// (server/src/protocol.ts), the one definition package.json is tested against. Knows which changes only
// take effect after a restart (the document selector is fixed when the language client starts).
import * as vscode from 'vscode';
import { settingSpecs, type NanomindSettings } from '../../server/src/protocol';
import { numberSetting, parseSettings } from '../../server/src/settings';

export const section = 'nanomind';

export class Config {
  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(section);
  }

  get completionEnabled(): boolean {
    return this.serverSettings.completion.enabled;
  }
  get languages(): string[] {
    return this.serverSettings.completion.languages;
  }
  get debounceMs(): number {
    return numberSetting(this.cfg.get('completion.debounceMs'), 'completion.debounceMs');
  }
  get memoryHover(): boolean {
    return this.serverSettings.memory.hover;
  }

  /**
   * The settings the server honours, in the shape of the protocol, parsed the way the server parses them
   * (a missing or out-of-range value is its default), so client and server never disagree on a value.
   */
  get serverSettings(): NanomindSettings {
    const c = this.cfg;
    const raw: Record<string, Record<string, unknown>> = {};
    for (const key of Object.keys(settingSpecs)) {
      const [group, name] = key.split('.');
      (raw[group] ??= {})[name] = c.get(key);
    }
    return parseSettings(raw);
  }

  async setCompletionEnabled(enabled: boolean): Promise<void> {
    await this.cfg.update('completion.enabled', enabled, vscode.ConfigurationTarget.Global);
  }

  /** True when a change touches a setting that is only read when the server starts. */
  static needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
    return e.affectsConfiguration(`${section}.completion.languages`);
  }
}
