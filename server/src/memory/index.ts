// The memory brain's entry point. It owns every open document's model memory (documentMemories.ts: encoded K/V
// and which tokens are kept, under one byte budget), gives the completion brain the eviction policy for it (the
// NAMM scorer from models/memory-scorer.json, with the `nanomind.memory.budget` cap), notes where the last
// completion in each document read, and turns the memory's state into the hover report and the memory map.
// The hover's "F ms with the full context" is measured once per completion, when a hover first asks for it
// (never on the typing path: see `CompletionProbe.timeFullContext`).
// It never imports completion/: main.ts hands it the completion brain's measures (`CompletionProbe`).
import type { Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { MemoryReport, TextRange } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { sharedTokenizer } from '../runtime/sharedTokenizer';
import type { ChunkEncoder, DocumentMemory, EvictionPolicy } from './documentMemory';
import { DocumentMemories } from './documentMemories';
import { CharClass, classifyChars, tokenClass } from './lexer';
import { nammPolicy } from './policy';
import { Scorer } from './scorer';
import { budgetText, keptText, timingText } from './wording';

/** What one completion read: the document version, the cursor, and where its prefix and suffix windows start. */
export interface ReadWindow {
  /** The document's version (LSP: it grows with every change), which names the text read without hashing it. */
  version: number;
  languageId: string;
  /** The cursor's offset in the document. */
  cursor: number;
  prefixStart: number;
  suffixStart: number;
}

/**
 * Where the last completion in a document read. Neither the text nor the memory is kept (the document's version,
 * the memory's generation): a document whose memory was given back under the byte budget holds nothing here.
 */
interface DocumentRecord {
  version: number;
  languageId: string;
  cursor: number;
  prefixStart: number;
  suffixStart: number;
  generation: number;
  lastMs: number;
  /** Context chunks the completion found already encoded (the full-context measurement starts from as many). */
  reused: number;
  /** The same completion's time with the full context: undefined until measured. */
  fullMs?: number;
  /** The measurement under way, shared by the hovers that ask meanwhile. */
  measuring?: Promise<number | null>;
}

/** What the memory brain asks of the completion brain; main.ts wires it (memory/ imports no completion/). */
export interface CompletionProbe {
  /** Context tokens the completion model would read at a position (null without a tokenizer). */
  countContext(doc: TextDocument, position: Position): Promise<number | null>;
  /**
   * The time of the completion at `position` with the full context (nothing evicted), starting from `reused`
   * chunks already encoded as the measured completion did. Null when it cannot run now (a request or an encode is
   * running, or one started meanwhile): a later hover asks again.
   */
  timeFullContext(doc: TextDocument, position: Position, reused: number): Promise<number | null>;
}

const noProbe: CompletionProbe = { countContext: async () => null, timeFullContext: async () => null };

/** The part of the memory brain the completion brain uses (completion/index.ts). */
export interface CompletionMemory {
  /** Every document's memory, to encode into. */
  readonly memories: DocumentMemories;
  /** The eviction policy for this encoder, or null when the memory brain is off (everything is kept). */
  policy(encoder: ChunkEncoder): Promise<EvictionPolicy | null>;
  /** A completion finished in `uri` after reading `window` into `memory`, taking `ms`. */
  completed(uri: string, window: ReadWindow, memory: DocumentMemory, ms: number): void;
}

export class MemoryBrain implements CompletionMemory {
  private scorer: Promise<Scorer> | undefined;
  private budget = 1;
  /** Why the brain is off although its files are fine (an encode graph without attention summaries). */
  private offReason: string | null = null;
  private readonly documents = new Map<string, DocumentRecord>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly probe: CompletionProbe = noProbe,
    readonly memories = new DocumentMemories(),
  ) {}

  configure(settings: { budget: number }): void {
    this.budget = settings.budget;
  }

  async policy(encoder: ChunkEncoder): Promise<EvictionPolicy | null> {
    if ((await this.registry.status('memory')).state !== 'ready') return null;
    if (!encoder.summarizesAttention) {
      this.offReason = "the completion model's encode graph has no attention_received output (re-export it with training/completion/export.py)";
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

  completed(uri: string, window: ReadWindow, memory: DocumentMemory, ms: number): void {
    const { languageId, cursor, prefixStart, suffixStart } = window;
    const { generation, lastReused: reused } = memory;
    this.documents.set(uri, { version: window.version, languageId, cursor, prefixStart, suffixStart, generation, lastMs: ms, reused });
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
          throw this.registry.markFailed('memory', { state: 'corrupt', detail: `models/${file}: ${(e as Error).message}` });
        }
      })();
      this.scorer.catch(() => (this.scorer = undefined));
    }
    return this.scorer;
  }

  /**
   * The report for `doc` at `position`: the last completion's memory when the text is unchanged since. With
   * `timeFullContext` (the hover), the last completion is first timed with the full context if it was not yet.
   */
  async report(doc: TextDocument, position: Position, options: { timeFullContext?: boolean } = {}): Promise<MemoryReport> {
    const status = await this.registry.status('memory');
    let unavailable: string | undefined;
    if (status.state === 'ready') unavailable = this.offReason ?? undefined;
    else unavailable = (await this.noModelListed()) ? 'the memory model is not trained yet' : status.detail;
    const record = this.documents.get(doc.uri);
    const memory = this.memories.peek(doc.uri);
    const text = doc.getText();
    // The last completion's memory, if it is still held, unchanged since, and of this version of the document.
    if (!record || !memory || memory.generation !== record.generation || record.version !== doc.version) {
      const tokensRead = await this.probe.countContext(doc, position);
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
    // With the brain off nothing was evicted: the last completion already read the full context.
    const fullMs = unavailable ? null : options.timeFullContext ? await this.timeFullContext(doc, record) : (record.fullMs ?? null);
    const tokens = await this.tokenSpans(text, record, memory);
    const classes = classifyChars(text, record.languageId);
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
    return {
      uri: doc.uri,
      tokensRead: memory.tokensRead,
      tokensKept: memory.tokensKept,
      dropped,
      msSaved: fullMs === null ? null : fullMs - record.lastMs,
      lastCompletionMs: record.lastMs,
      fullContextMs: fullMs,
      line: !lineRead ? 'not-read' : lineKept ? 'kept' : 'dropped',
      droppedRanges: ranges,
      budget: this.budget,
      unavailable,
    };
  }

  /** The record's completion timed with the full context, once; null when that cannot run now. */
  private timeFullContext(doc: TextDocument, record: DocumentRecord): Promise<number | null> {
    if (record.fullMs !== undefined) return Promise.resolve(record.fullMs);
    record.measuring ??= this.probe.timeFullContext(doc, doc.positionAt(record.cursor), record.reused).then((ms) => {
      record.measuring = undefined;
      if (ms !== null) record.fullMs = ms;
      return ms;
    });
    return record.measuring;
  }

  /** True when the manifest lists no memory model at all (none trained yet), rather than a broken one. */
  private async noModelListed(): Promise<boolean> {
    return this.registry.brainEntry('memory').then(
      () => false,
      (e: unknown) => e instanceof ModelError && e.status.state === 'not-installed' && /no memory model in/.test(e.status.detail),
    );
  }

  /**
   * Each context token's characters in the document, and whether it is kept: the prefix's tokens are read from
   * `prefixStart` on, the suffix's from `suffixStart` on, in the memory's chunk order.
   */
  private async tokenSpans(text: string, record: DocumentRecord, memory: DocumentMemory): Promise<{ from: number; to: number; kept: boolean }[]> {
    const tokenizer = await sharedTokenizer(this.registry);
    const at = { prefix: record.prefixStart, suffix: record.suffixStart };
    const spans: { from: number; to: number; kept: boolean }[] = [];
    for (const c of memory.chunks) {
      const side = c.suffix ? 'suffix' : 'prefix';
      c.ids.forEach((id, t) => {
        const from = at[side];
        const to = Math.min(text.length, from + tokenizer.decode([id]).length);
        at[side] = to;
        if (to > from) spans.push({ from, to, kept: c.kept[t] === 1 });
      });
    }
    return spans;
  }
}

/**
 * Markdown for the hover, one line: what the memory kept and dropped, the last completion's time (and with the full
 * context, where timed), whether the hovered line is in memory, and the budget; or why the memory brain is off
 * (then every token is kept).
 */
export function memoryHoverMarkdown(report: MemoryReport): string {
  const title = '**nanomind memory** — ';
  const why = report.unavailable ? `: ${report.unavailable}` : '';
  const kept = keptText(report);
  if (kept === null) return `${title}context tokens not counted (no tokenizer loaded)${why}.`;
  if (report.unavailable && (report.tokensKept ?? report.tokensRead) === report.tokensRead)
    return `${title}${report.tokensRead} context tokens read here, all kept${why}.`;
  const d = report.dropped;
  const parts = [kept, `dropped ${d.comment} comment, ${d.whitespace} whitespace, ${d.code} code tokens`];
  const timing = timingText(report);
  if (timing === null) parts.push('no completion since the last edit');
  else if (report.fullContextMs === null && !report.unavailable) parts.push(`${timing} (not yet timed with the full context)`);
  else parts.push(timing);
  const where = { kept: 'this line is in memory', dropped: 'this line was dropped', 'not-read': 'this line is outside the context read', 'not-measured': '' }[
    report.line
  ];
  if (where) parts.push(where);
  parts.push(report.unavailable ? `memory brain off${why}` : `budget ${budgetText(report.budget)}`);
  return `${title}${parts.join(' · ')}.`;
}
