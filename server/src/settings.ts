// Turns whatever the client sent (VS Code settings, or an editor's init options) into typed
// settings, field by field, so one bad value falls back to its default instead of breaking the rest.
import { defaultSettings, type NanomindSettings } from './protocol';

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
  const d = defaultSettings;
  return {
    completion: {
      enabled: typeof c.enabled === 'boolean' ? c.enabled : d.completion.enabled,
      languages:
        Array.isArray(c.languages) && c.languages.every((l) => typeof l === 'string')
          ? (c.languages as string[])
          : d.completion.languages,
      // A larger window (allowed before the limit was measured) is served at the limit, not the default.
      maxContextTokens: intIn(
        Number.isInteger(c.maxContextTokens) ? Math.min(c.maxContextTokens as number, maxContextTokensLimit) : c.maxContextTokens,
        64,
        maxContextTokensLimit,
        d.completion.maxContextTokens,
      ),
      maxTokens: intIn(c.maxTokens, 1, 256, d.completion.maxTokens),
      threshold: numIn(c.threshold, 0, 1, d.completion.threshold),
      singleLineThreshold: numIn(c.singleLineThreshold, 0, 1, d.completion.singleLineThreshold),
      decoder: c.decoder === 'autoregressive' || c.decoder === 'diffusion' ? c.decoder : d.completion.decoder,
    },
    memory: { budget: numIn(m.budget, 0.01, 1, d.memory.budget) },
  };
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numIn(v: unknown, lo: number, hi: number, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : fallback;
}

function intIn(v: unknown, lo: number, hi: number, fallback: number): number {
  return Number.isInteger(v) ? numIn(v, lo, hi, fallback) : fallback;
}
