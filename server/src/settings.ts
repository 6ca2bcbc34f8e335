// Turns whatever the client sent (VS Code settings, or an editor's init options) into typed
// settings, field by field, so one bad value falls back to its default instead of breaking the rest.
// Defaults and ranges come from `settingSpecs` (protocol.ts), the one definition of each setting.
import { settingSpecs, type NanomindSettings, type SettingKey } from './protocol';

/**
 * The most context tokens a completion may read. A document's first completion encodes its whole window,
 * and the cost grows faster than the window (every chunk attends to the ones before it): measured on this
 * 2-core machine, 4x the default 512 costs ~5x the time, 8x costs ~20x (seconds) and 16x (8192) ~40x and
 * 1.5 GB. 2048 keeps the first completion in a new document under a second and its K/V near 64 MB.
 */
export const maxContextTokensLimit = 2048;

export function parseSettings(raw: unknown): NanomindSettings {
  const src = (isObject(raw) ? raw : {}) as Record<string, unknown>;
  const c = isObject(src.completion) ? (src.completion as Record<string, unknown>) : {};
  const m = isObject(src.memory) ? (src.memory as Record<string, unknown>) : {};
  const languages = settingSpecs['completion.languages'].default;
  const decoders: readonly unknown[] = settingSpecs['completion.decoder'].enum;
  return {
    completion: {
      enabled: bool(c.enabled, 'completion.enabled'),
      languages: Array.isArray(c.languages) && c.languages.every((l) => typeof l === 'string') ? (c.languages as string[]) : [...languages],
      // A larger window (allowed before the limit was measured) is served at the limit, not the default.
      maxContextTokens: numberSetting(
        Number.isInteger(c.maxContextTokens) ? Math.min(c.maxContextTokens as number, maxContextTokensLimit) : c.maxContextTokens,
        'completion.maxContextTokens',
      ),
      maxTokens: numberSetting(c.maxTokens, 'completion.maxTokens'),
      threshold: numberSetting(c.threshold, 'completion.threshold'),
      singleLineThreshold: numberSetting(c.singleLineThreshold, 'completion.singleLineThreshold'),
      decoder: decoders.includes(c.decoder) ? (c.decoder as NanomindSettings['completion']['decoder']) : settingSpecs['completion.decoder'].default,
    },
    memory: { budget: numberSetting(m.budget, 'memory.budget'), hover: bool(m.hover, 'memory.hover') },
  };
}

type BooleanKey = { [K in SettingKey]: (typeof settingSpecs)[K]['type'] extends 'boolean' ? K : never }[SettingKey];
type NumberKey = { [K in SettingKey]: (typeof settingSpecs)[K] extends { minimum: number } ? K : never }[SettingKey];

function bool(v: unknown, key: BooleanKey): boolean {
  return typeof v === 'boolean' ? v : settingSpecs[key].default;
}

/** `v` when it is a number of the setting's type inside its range, else the setting's default. */
export function numberSetting(v: unknown, key: NumberKey): number {
  const s = settingSpecs[key];
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= s.minimum && v <= s.maximum && (s.type !== 'integer' || Number.isInteger(v));
  return ok ? v : s.default;
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
