// The memory brain's entry point: what the completion model keeps of the context around a position.
// Until the NAMM scorer ships, every context token is kept, and the report says why none was dropped.
import type { Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { contextWindow } from '../completion/context';
import type { MemoryReport } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { sharedTokenizer } from '../runtime/sharedTokenizer';

export class MemoryBrain {
  constructor(private readonly registry: ModelRegistry) {}

  /** The report for the context window the completion model would read at `position`. */
  async report(doc: TextDocument, position: Position, budget: number): Promise<MemoryReport> {
    const tokensRead = await this.countContextTokens(doc, position, budget);
    const status = await this.registry.status('memory');
    // Without a scorer (or with one this server cannot run yet) every token is kept.
    let unavailable: string;
    if (status.state === 'ready') unavailable = 'the memory model is installed but this server version cannot run it';
    else if (await this.noModelListed()) unavailable = 'the memory model is not trained yet';
    else unavailable = status.detail;
    return {
      uri: doc.uri,
      tokensRead,
      tokensKept: tokensRead,
      dropped: { comment: 0, whitespace: 0, code: 0 },
      msSaved: null,
      unavailable,
    };
  }

  /** True when the manifest lists no memory model at all (none trained yet), rather than a broken one. */
  private async noModelListed(): Promise<boolean> {
    return this.registry.brainEntry('memory').then(
      () => false,
      (e: unknown) => e instanceof ModelError && e.status.state === 'not-installed' && /no memory model in/.test(e.status.detail),
    );
  }

  private async countContextTokens(doc: TextDocument, position: Position, budget: number): Promise<number | null> {
    try {
      const tokenizer = await sharedTokenizer(this.registry);
      // The window the completion model reads: its prefix sheds whole encode chunks (context.ts).
      const spec = await this.registry.brainEntry('completion').then(
        (e) => e.spec as { chunk?: number } | undefined,
        () => undefined,
      );
      const w = contextWindow(doc.getText(), doc.offsetAt(position), budget, tokenizer, spec?.chunk ?? 1);
      return w.prefixIds.length + w.suffixIds.length;
    } catch {
      return null; // the registry has recorded why; the report says tokens were not counted
    }
  }
}

/** Markdown for the hover: one line with the numbers of the report, and why nothing was dropped. */
export function memoryHoverMarkdown(report: MemoryReport): string {
  const title = '**nanomind memory** — ';
  const why = report.unavailable ? `: ${report.unavailable}` : '';
  if (report.tokensRead === null) return `${title}context tokens not counted (no tokenizer loaded)${why}.`;
  const kept = report.tokensKept ?? report.tokensRead;
  const dropped = report.tokensRead - kept;
  if (dropped === 0) return `${title}${report.tokensRead} context tokens read here, all kept${why}.`;
  const d = report.dropped;
  const saved = report.msSaved === null ? '' : `, ${report.msSaved.toFixed(1)} ms saved per completion`;
  return `${title}${report.tokensRead} context tokens read here, ${kept} kept (dropped ${d.comment} comment, ${d.whitespace} whitespace, ${d.code} code${saved}).`;
}
