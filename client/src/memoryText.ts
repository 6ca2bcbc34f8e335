// What "nanomind: Show Memory Map" and the status menu say about the memory brain, in plain words. Kept free of
// `vscode` so a unit test can check the wording (test/unit/memoryText.test.ts); the figures are worded as the
// hover words them (server/src/memory/wording.ts).
import type { BrainStatus, MemoryReport } from '../../server/src/protocol';
import { budgetText, keptText, timingText } from '../../server/src/memory/wording';
import { brainProblem } from './brainText';

/** What the memory map does with a report: fade its dropped ranges (with a status bar message), or only say why not. */
export interface MemoryMapOutcome {
  fade: boolean;
  message: string;
}

/** The memory map of `file` from the server's report: fade what was dropped, or say plainly why nothing is faded. */
export function memoryMapOutcome(report: MemoryReport, file: string): MemoryMapOutcome {
  const no = (why: string) => ({ fade: false, message: `nanomind: no memory map for ${file}: ${why}.` });
  if (report.unavailable) return no(`the memory brain is off (${report.unavailable})`);
  const kept = keptText(report);
  if (kept === null) return no('its context tokens cannot be counted (no tokenizer loaded)');
  // Not measured: no completion since the document was opened or last edited, or the memory has since been
  // encoded afresh for another cursor position, or given back under the byte budget (server/src/memory/index.ts).
  if (report.line === 'not-measured') return no("no completion of its current text is in the model's memory; type or trigger a completion first");
  if (report.droppedRanges.length === 0) return { fade: false, message: `nanomind memory: ${kept} in ${file}; nothing was dropped, so nothing is faded.` };
  // Short: it stays in the status bar beside other items while the text is faded.
  return { fade: true, message: `nanomind: ${kept}; dropped text faded until the next edit` };
}

/**
 * The status menu's line on the memory brain: on with its budget, or off and why. `report` (the active document's,
 * when there is one) knows a reason the brain's status does not: an encode graph without attention summaries.
 */
export function memoryBrainText(brain: BrainStatus | undefined, report: MemoryReport | undefined, budget: number): string {
  const off = report?.unavailable ?? (brain ? brainProblem('memory', brain) : 'the server is not running');
  return off ? `memory brain off: ${off}` : `memory brain on, budget ${budgetText(report?.budget ?? budget)}`;
}

/** The status menu's line on the last savings in `file`: what its last completion kept, and how long it took. */
export function savingsText(report: MemoryReport, file: string): string {
  if (report.line === 'not-measured') return `${file}: no completion of its current text is in the model's memory`;
  const kept = keptText(report) ?? 'context tokens not counted (no tokenizer loaded)';
  const timing = timingText(report);
  return `${file}: ${kept}${timing ? ` · ${timing}` : ''}`;
}
