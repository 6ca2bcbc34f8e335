// The memory brain's entry point: what the completion model keeps of each document's context.
// Until the NAMM scorer ships, every token is kept and the report says why nothing was dropped.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { MemoryReport } from '../protocol';
import type { ModelRegistry } from '../runtime/models';

/** Counts the tokens of a text the way the completion model reads it; null when no tokenizer is loaded. */
export type TokenCounter = (text: string) => Promise<number | null>;

export class MemoryBrain {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly countTokens: TokenCounter,
  ) {}

  async report(doc: TextDocument): Promise<MemoryReport> {
    const tokensRead = await this.countTokens(doc.getText());
    const status = await this.registry.status('memory');
    if (status.state !== 'ready') {
      return {
        uri: doc.uri,
        tokensRead,
        tokensKept: tokensRead,
        dropped: { comment: 0, whitespace: 0, code: 0 },
        msSaved: null,
        unavailable: status.detail,
      };
    }
    // A shipped scorer without its runtime would silently keep everything: say so instead.
    return {
      uri: doc.uri,
      tokensRead,
      tokensKept: tokensRead,
      dropped: { comment: 0, whitespace: 0, code: 0 },
      msSaved: null,
      unavailable: 'the memory model is installed but this server version cannot run it yet',
    };
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
    lines.push(`Context: ${report.tokensRead} tokens read, ${kept} kept (${saved.toFixed(1)}% saved).`);
    const d = report.dropped;
    lines.push(`Dropped: ${d.comment} comment, ${d.whitespace} whitespace, ${d.code} code.`);
    if (report.msSaved !== null) lines.push(`Time saved per completion: ${report.msSaved.toFixed(1)} ms.`);
  }
  if (report.unavailable) lines.push('', `Memory brain off: ${report.unavailable}.`);
  return lines.join('\n');
}
