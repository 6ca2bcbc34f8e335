// The memory brain's entry point: what the completion model keeps of the context around a position.
// Until the NAMM scorer ships, every context token is kept, and the report says why none was dropped.
import type { Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { contextWindow } from '../completion/context';
import type { MemoryReport } from '../protocol';
import type { ModelRegistry } from '../runtime/models';
import { sharedTokenizer } from '../runtime/sharedTokenizer';

export class MemoryBrain {
  constructor(private readonly registry: ModelRegistry) {}

  /** The report for the context window the completion model would read at `position`. */
  async report(doc: TextDocument, position: Position, budget: number): Promise<MemoryReport> {
    const tokensRead = await this.countContextTokens(doc, position, budget);
    const status = await this.registry.status('memory');
    // Without a scorer (or with one this server cannot run yet) every token is kept.
    const unavailable =
      status.state === 'ready' ? 'the memory model is installed but this server version cannot run it' : status.detail;
    return {
      uri: doc.uri,
      tokensRead,
      tokensKept: tokensRead,
      dropped: { comment: 0, whitespace: 0, code: 0 },
      msSaved: null,
      unavailable,
    };
  }

  private async countContextTokens(doc: TextDocument, position: Position, budget: number): Promise<number | null> {
    try {
      const tokenizer = await sharedTokenizer(this.registry);
      // The window the completion model reads: its prefix sheds whole encode chunks (context.ts).
      const spec = await this.registry.brainEntry('completion').then((e) => e.spec as { chunk?: number } | undefined, () => undefined);
      const w = contextWindow(doc.getText(), doc.offsetAt(position), budget, tokenizer, spec?.chunk ?? 1);
      return w.prefixIds.length + w.suffixIds.length;
    } catch {
      return null; // the registry has recorded why; the report says tokens were not counted
    }
  }
}

/** Markdown for the hover: the numbers of the report, or the reason there are none. */
export function memoryHoverMarkdown(report: MemoryReport): string {
  const lines = ['**nanomind memory**', ''];
  if (report.tokensRead === null) {
    lines.push('Context tokens: not counted (no tokenizer loaded).');
  } else {
    const kept = report.tokensKept ?? report.tokensRead;
    const saved = report.tokensRead === 0 ? 0 : (100 * (report.tokensRead - kept)) / report.tokensRead;
    lines.push(`Context here: ${report.tokensRead} tokens read, ${kept} kept (${saved.toFixed(1)}% saved).`);
    const d = report.dropped;
    lines.push(`Dropped: ${d.comment} comment, ${d.whitespace} whitespace, ${d.code} code.`);
    if (report.msSaved !== null) lines.push(`Time saved per completion: ${report.msSaved.toFixed(1)} ms.`);
  }
  if (report.unavailable) lines.push('', `Memory brain off: ${report.unavailable}.`);
  return lines.join('\n');
}
