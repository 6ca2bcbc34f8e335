// The memory brain's figures in plain words, shared by the server's hover (memory/index.ts) and the client's
// memory map and status menu (client/src/memoryText.ts), so the two sides never word the same number apart.
// Imports nothing but the protocol's types: the client bundles this file.
import type { MemoryReport } from '../protocol';

/** Share of the context tokens read that were not kept, in percent (0 when nothing was read). */
export function savedPercent(tokensRead: number, tokensKept: number): number {
  return tokensRead === 0 ? 0 : (100 * (tokensRead - tokensKept)) / tokensRead;
}

/** "kept K of N context tokens (S% saved)", or null when the tokens were not counted (no tokenizer). */
export function keptText(report: Pick<MemoryReport, 'tokensRead' | 'tokensKept'>): string | null {
  if (report.tokensRead === null) return null;
  const kept = report.tokensKept ?? report.tokensRead;
  return `kept ${kept} of ${report.tokensRead} context tokens (${savedPercent(report.tokensRead, kept).toFixed(1)}% saved)`;
}

/**
 * The `nanomind.memory.budget` cap in words: a share of the context (the lines nearest the cursor are kept
 * whatever it says, so a short file may keep all), or none (the scorer alone decides what goes).
 */
export function budgetText(budget: number): string {
  return budget < 1 ? `${Math.round(budget * 100)}% of the context, nearest lines always kept` : 'none, the scorer alone decides';
}

/** "last completion T ms (F ms with the full context)"; the part in brackets only where the full context was timed. */
export function timingText(report: Pick<MemoryReport, 'lastCompletionMs' | 'fullContextMs'>): string | null {
  if (report.lastCompletionMs === null) return null;
  const full = report.fullContextMs === null ? '' : ` (${report.fullContextMs.toFixed(0)} ms with the full context)`;
  return `last completion ${report.lastCompletionMs.toFixed(0)} ms${full}`;
}
