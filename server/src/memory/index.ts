// The memory brain's entry point. It gives the completion brain the eviction policy for each document's memory
// (the NAMM scorer from models/memory-scorer.json, with the `nanomind.memory.budget` cap), keeps what the last
// completion in each document read and kept, and turns that into the hover report and the memory map.
// It never imports completion/: main.ts hands it a way to count the context tokens of a position.
import type { Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { MemoryReport, TextRange } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { sharedTokenizer } from '../runtime/sharedTokenizer';
import { DocumentMemory, type ChunkEncoder, type EvictionPolicy } from './documentMemory';
import { CharClass, classifyChars, tokenClass } from './lexer';
import { nammPolicy } from './policy';
import { Scorer } from './scorer';

/** What one completion read: the document text and where its prefix and suffix windows start. */
export interface ReadWindow {
  text: string;
  languageId: string;
  prefixStart: number;
  suffixStart: number;
  prefixIds: number[];
  suffixIds: number[];
  memory: DocumentMemory;
}

interface DocumentRecord {
  window: ReadWindow;
  lastMs: number;
}

/** The part of the memory brain the completion brain uses (completion/index.ts). */
export interface CompletionMemory {
  /** The per-document memory to encode into (line ends protect the nearest lines). */
  newDocumentMemory(endsLine: (id: number) => boolean): DocumentMemory;
  /** The eviction policy for this encoder, or null when the memory brain is off (everything is kept). */
  policy(encoder: ChunkEncoder): Promise<EvictionPolicy | null>;
  /** A completion finished in `uri` after reading `window`, taking `ms`. */
  completed(uri: string, window: ReadWindow, ms: number): void;
}

export class MemoryBrain implements CompletionMemory {
  private scorer: Promise<Scorer> | undefined;
  private budget = 1;
  /** Why the brain is off although its files are fine (an encode graph without attention summaries). */
  private offReason: string | null = null;
  private readonly documents = new Map<string, DocumentRecord>();

  constructor(
    private readonly registry: ModelRegistry,
    /** Context tokens the completion model would read at a position (null without a tokenizer). */
    private readonly countContext: (doc: TextDocument, position: Position) => Promise<number | null> = async () => null,
  ) {}

  configure(settings: { budget: number }): void {
    this.budget = settings.budget;
  }

  newDocumentMemory(endsLine: (id: number) => boolean): DocumentMemory {
    return new DocumentMemory(endsLine);
  }

  async policy(encoder: ChunkEncoder): Promise<EvictionPolicy | null> {
    if ((await this.registry.status('memory')).state !== 'ready') return null;
    if (!encoder.summarizesAttention) {
      this.offReason = 'the completion model\'s encode graph has no attention_received output (re-export it with training/completion/export.py)';
      return null;
    }
    this.offReason = null;
    try {
      return nammPolicy(await this.loadScorer(encoder.spec.nLayer), this.budget);
    } catch (e) {
      if (e instanceof ModelError) return null; // the registry has recorded why; the status shows it
      throw e;
    }
  }

  completed(uri: string, window: ReadWindow, ms: number): void {
    this.documents.set(uri, { window, lastMs: ms });
  }

  forget(uri: string): void {
    this.documents.delete(uri);
  }

  private loadScorer(nLayer: number): Promise<Scorer> {
    if (!this.scorer) {
      this.scorer = (async () => {
        const bytes = await this.registry.fileBytes('memory', 'scorer');
        const file = (await this.registry.brainEntry('memory')).files.scorer.file;
        try {
          return Scorer.fromJson(new TextDecoder().decode(bytes), nLayer);
        } catch (e) {
          throw this.registry.reportFailure('memory', { state: 'corrupt', detail: `models/${file}: ${(e as Error).message}` });
        }
      })();
      this.scorer.catch(() => (this.scorer = undefined));
    }
    return this.scorer;
  }

  /** The report for `doc` at `position`: the last completion's memory when the text is unchanged since. */
  async report(doc: TextDocument, position: Position): Promise<MemoryReport> {
    const status = await this.registry.status('memory');
    const unavailable = status.state !== 'ready' ? status.detail : this.offReason ?? undefined;
    const record = this.documents.get(doc.uri);
    const text = doc.getText();
    if (!record || record.window.text !== text) {
      const tokensRead = await this.countContext(doc, position);
      return {
        uri: doc.uri,
        tokensRead,
        tokensKept: tokensRead,
        dropped: { comment: 0, whitespace: 0, code: 0 },
        msSaved: null,
        lastCompletionMs: null,
        fullContextMs: null,
        line: 'not-measured',
        droppedRanges: [],
        budget: this.budget,
        unavailable,
      };
    }
    const tokens = await this.tokenSpans(record.window);
    const classes = classifyChars(text, record.window.languageId);
    const dropped = { comment: 0, whitespace: 0, code: 0 };
    const ranges: TextRange[] = [];
    let lineRead = false;
    let lineKept = false;
    const lineStart = doc.offsetAt({ line: position.line, character: 0 });
    const lineEnd = doc.offsetAt({ line: position.line + 1, character: 0 });
    for (const t of tokens) {
      if (t.to > lineStart && t.from < lineEnd) {
        lineRead = true;
        lineKept ||= t.kept;
      }
      if (t.kept) continue;
      const c = tokenClass(classes, t.from, t.to);
      if (c === CharClass.Comment) dropped.comment++;
      else if (c === CharClass.Whitespace) dropped.whitespace++;
      else dropped.code++;
      const last = ranges[ranges.length - 1];
      if (last && doc.offsetAt(last.end) === t.from) last.end = doc.positionAt(t.to);
      else ranges.push({ start: doc.positionAt(t.from), end: doc.positionAt(t.to) });
    }
    const memory = record.window.memory;
    return {
      uri: doc.uri,
      tokensRead: memory.tokensRead,
      tokensKept: memory.tokensKept,
      dropped,
      msSaved: null,
      lastCompletionMs: record.lastMs,
      fullContextMs: null,
      line: !lineRead ? 'not-read' : lineKept ? 'kept' : 'dropped',
      droppedRanges: ranges,
      budget: this.budget,
      unavailable,
    };
  }

  /** Each context token's characters in the document, and whether it is kept. */
  private async tokenSpans(w: ReadWindow): Promise<{ from: number; to: number; kept: boolean }[]> {
    const tokenizer = await sharedTokenizer(this.registry);
    const offsets = (ids: number[], start: number) => {
      const out = [start];
      for (const id of ids) out.push(Math.min(w.text.length, out[out.length - 1] + tokenizer.decode([id]).length));
      return out;
    };
    const pre = offsets(w.prefixIds, w.prefixStart);
    const suf = offsets(w.suffixIds, w.suffixStart);
    const firstSuffix = w.memory.chunks.find((c) => c.suffix)?.pos[0] ?? 0;
    const spans: { from: number; to: number; kept: boolean }[] = [];
    for (const c of w.memory.chunks) {
      c.ids.forEach((_, t) => {
        const i = c.suffix ? c.pos[t] - firstSuffix : c.pos[t];
        const [from, to] = c.suffix ? [suf[i], suf[i + 1]] : [pre[i], pre[i + 1]];
        if (from !== undefined && to !== undefined && to > from) spans.push({ from, to, kept: c.kept[t] === 1 });
      });
    }
    return spans;
  }
}

/** Markdown for the hover: the numbers of the report, or the reason there are none. */
export function memoryHoverMarkdown(report: MemoryReport): string {
  const lines: string[] = [];
  if (report.tokensRead === null) {
    lines.push('**nanomind memory**: context tokens not counted (no tokenizer loaded).');
  } else {
    const kept = report.tokensKept ?? report.tokensRead;
    const saved = report.tokensRead === 0 ? 0 : (100 * (report.tokensRead - kept)) / report.tokensRead;
    const d = report.dropped;
    const last = report.lastCompletionMs === null ? 'no completion since the last edit' : `last completion ${report.lastCompletionMs.toFixed(0)} ms`;
    const full = report.fullContextMs === null ? 'full context not timed' : `${report.fullContextMs.toFixed(0)} ms with the full context`;
    lines.push(
      `**nanomind memory**: kept ${kept} of ${report.tokensRead} context tokens (${saved.toFixed(1)}% saved) · ` +
        `dropped ${d.comment} comment, ${d.whitespace} whitespace, ${d.code} code tokens · ${last} (${full})`,
    );
    const where = { kept: 'This line is in memory.', dropped: 'This line was dropped from memory.', 'not-read': 'This line is outside the context read.', 'not-measured': '' }[report.line];
    if (where) lines.push('', where);
  }
  if (report.unavailable) lines.push('', `Memory brain off: ${report.unavailable}.`);
  else lines.push('', `Memory brain on: budget ${report.budget < 1 ? `${Math.round(report.budget * 100)}% of the context` : 'scores only'}.`);
  return lines.join('\n');
}
