// The completion brain's entry point: an inline-completion request in, ghost-text items out.
// request → context window (prefix up to the cursor line, the typed line on the canvas) → per-document
// memory (only changed chunks re-encoded) → parallel denoising of a <mask> canvas → detokenize → drop
// the typed text → trim to the line or block → drop suffix overlap.
// A newer request for the same document cancels the older one; every pass checks cancellation.
// The memory hover's full-context time runs the same request into a scratch memory (`timeFullContext`).
import type { CancellationToken, InlineCompletionItem, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { NanomindSettings } from '../protocol';
import { ModelError, type ModelRegistry } from '../runtime/models';
import { startupTimings } from '../runtime/startupTimings';
import { contextWindow } from './context';
import { editEnd, neighbourLines } from './edits';
import { firstLine, openEngine, type Engine } from './engine';
import { DocumentMemories } from '../memory/documentMemories';
import type { CompletionMemory } from '../memory';
import { DocumentMemory } from '../memory/documentMemory';
import { blockEnded, completionMode, confidentLines, trimSuggestion, type CompletionMode, type Suggestion } from './postprocess';
import { sampleGrowing, sureIds } from './sampler';
import { SyntaxGate } from './syntax';
import { SuggestionCache } from './suggestionCache';

export interface CompletionOutcome {
  items: InlineCompletionItem[];
  /** Wall time spent producing the items, or null when no model ran. */
  modelMs: number | null;
  /** Forward passes (0 for a cache hit). */
  forwards: number;
  /** Tokens in the model's span before trimming (for tokens per forward pass). */
  tokens: number;
  /** Context chunks this request encoded (0 when the memory already held them all). */
  encoded: number;
  /** The suggestion before the syntax gate cut or withheld it (text '' for none; the benchmark compares the two). */
  unchecked: Suggestion;
  /** The least confidence among the first decoding's committed tokens (null: no model ran): what the gate compares. */
  confidence: number | null;
}

/** What a request that ran no model (or was stopped) answers. */
const none = (): CompletionOutcome => ({ items: [], modelMs: null, forwards: 0, tokens: 0, encoded: 0, unchecked: { text: '', replace: 0 }, confidence: null });

/**
 * Below this confidence in any committed token, say nothing rather than suggest a guess (both decoders), unless
 * the manifest's spec gives a gate tuned for the shipped model (`confidenceGate`, bench/completion-gate.ts).
 */
export const defaultConfidenceGate = 0.2;

/**
 * A block's second decoding, after the syntax gate cut it, commits only tokens this sure (the first uses the
 * `threshold` setting, 0.3): fewer tokens per pass where the model just went wrong. On 60 held-out blocks
 * (`npm run bench:completion -- --limit 60 --kinds multi_line`) 0.3/0.6/0.75/0.9 gave edit similarity
 * 0.145/0.161/0.177/0.175 at 3.07/2.74/2.61/2.20 tokens per pass.
 */
const redecodeThreshold = 0.75;

/** Documents longer than this (characters) are not pre-encoded on change (finding the edit reads the text). */
const prepareLimit = 1_000_000;

export { changeEnd, editEnd } from './edits';

/** Whether a token's text holds a line break (the keep rules protect the lines nearest the cursor). */
function lineEnds(engine: Engine): (id: number) => boolean {
  return (id) => engine.tokenText(id).includes('\n');
}

/**
 * The prefix and suffix tokens that encode to exactly the first `n` chunks of a context (its prefix chunks, then
 * its suffix chunks): a chunk is identified by its tokens and positions, and the suffix's positions follow the
 * whole prefix.
 */
export function firstChunks(prefixIds: number[], suffixIds: number[], n: number, chunk: number): { prefixIds: number[]; suffixIds: number[] } {
  const prefixChunks = Math.ceil(prefixIds.length / chunk);
  if (n <= prefixChunks) return { prefixIds: prefixIds.slice(0, n * chunk), suffixIds: [] };
  return { prefixIds, suffixIds: suffixIds.slice(0, (n - prefixChunks) * chunk) };
}

/** Options a caller other than the editor may set (the benchmark knows each case's kind). */
export interface CompleteOptions {
  /** Force single- or multi-line mode instead of deciding from the cursor line. */
  mode?: CompletionMode;
  /** The first canvas size in single-line mode, instead of the manifest's (the benchmark compares sizes). */
  singleLineCanvas?: number;
  /** The first canvas size in multi-line mode, instead of the manifest's maximum. */
  multiLineCanvas?: number;
  /** False: show what the syntax gate left of the first decoding, without re-decoding after a cut (the benchmark's ablation). */
  redecode?: boolean;
  /** The confidence gate instead of the model's (0 shows every answer: bench/completion-gate.ts sweeps it). */
  minConfidence?: number;
  /** False: a block under the gate shows nothing, instead of its whole lines before the first unsure token (the gate bench's ablation). */
  confidentLines?: boolean;
  /** A block's decoding window instead of the manifest's `blockWindow` (the benchmark compares them; Infinity: none). */
  multiLineWindow?: number;
  /** A single line's decoding window instead of the manifest's `lineWindow` (the benchmark compares them; Infinity: none). */
  singleLineWindow?: number;
  /** False: a single line that post-processing cut to nothing (a repeat) shows nothing, without a second answer (the benchmark's ablation). */
  retryRepeat?: boolean;
  /** False: a single line left empty where the typed line needs an operand shows nothing, without a second answer (the benchmark's ablation). */
  retryUnfinished?: boolean;
}

export class CompletionBrain {
  private engine: Promise<Engine> | undefined;
  /**
   * Per document: the diffusion model's context memory and the AR twin's prompt K/V, under one byte budget
   * (the memory brain's when there is one: it reads them for the hover and the memory map).
   */
  readonly memories: DocumentMemories;
  /** The memory brain: what each document's memory evicts (nothing without it). */
  private readonly memoryBrain: CompletionMemory | null;
  private readonly inFlight = new Map<string, { superseded: boolean; done: Promise<void> }>();
  /** When a request or a background encode last started or ended (performance.now()). */
  private lastBusyAt = performance.now();
  private readonly cache = new SuggestionCache(64);
  /** Background encodes that ran to the end (checked by tests). */
  prepared = 0;
  /** Each open document's text as of its last change (to find where the next edit ends). */
  private readonly texts = new Map<string, string>();

  private readonly log: (message: string) => void;
  /** Parses each suggestion in its document; a grammar that fails to load is logged and lets suggestions through. */
  private readonly syntax: SyntaxGate;

  constructor(
    private readonly registry: ModelRegistry,
    /** `memoryBudgetBytes` applies without a memory brain (the brain's memories have their own budget). */
    options: { memory?: CompletionMemory; memoryBudgetBytes?: number; log?: (message: string) => void } = {},
  ) {
    this.memoryBrain = options.memory ?? null;
    this.memories = options.memory?.memories ?? new DocumentMemories(options.memoryBudgetBytes);
    this.log = options.log ?? ((m) => console.error(m));
    this.syntax = new SyntaxGate(this.log);
  }

  /** Context tokens the model reads at `position` (the memory report before any completion); null without a model. */
  async contextTokens(doc: TextDocument, position: Position, maxContextTokens: number): Promise<number | null> {
    try {
      const { tokenizer, model } = await this.loadEngine();
      const w = contextWindow(doc.getText(), doc.offsetAt(position), maxContextTokens, tokenizer, model.spec.chunk);
      return w.prefixIds.length + w.suffixIds.length;
    } catch (e) {
      if (e instanceof ModelError) return null; // the registry has recorded why; the report says tokens were not counted
      throw e;
    }
  }

  /** The document's context memory (line ends protect the lines nearest the cursor from eviction). */
  private contextMemory(uri: string, engine: Engine): DocumentMemory {
    return this.memories.context(uri, lineEnds(engine));
  }

  async complete(
    doc: TextDocument,
    position: Position,
    settings: NanomindSettings['completion'],
    token: CancellationToken,
    options: CompleteOptions = {},
  ): Promise<CompletionOutcome> {
    if (!settings.enabled || !settings.languages.includes(doc.languageId)) return none();
    if (position.line >= doc.lineCount || token.isCancellationRequested) return none();
    if ((await this.registry.status('completion')).state !== 'ready') return none();

    return (await this.exclusive(doc.uri, token, (cancelled) => this.run(doc, position, settings, cancelled, options))) ?? none();
  }

  /**
   * After an edit: encode the context around where the edit ended (`end`, the offset in the new text, when
   * the caller knows it from the change event; else found by comparing texts), in the background, so that the request
   * the client sends after its debounce finds the memory ready (after Enter, the line just finished joins
   * the prefix and the suffix moves: a few chunks to encode). The request supersedes this work, which stops
   * at its next encode call; the chunks done by then stay in the memory.
   */
  prepare(doc: TextDocument, settings: NanomindSettings['completion'], end?: number): void {
    if (settings.enabled && settings.languages.includes(doc.languageId)) this.syntax.preload([doc.languageId]);
    const text = doc.getText();
    const before = this.texts.get(doc.uri);
    if (!this.wantsPreparing(doc, settings, text)) {
      this.texts.delete(doc.uri);
      return;
    }
    this.texts.set(doc.uri, text);
    if (before === undefined || before === text) return; // just opened (no cursor yet), or no change
    this.encodeAround(doc.uri, text, end ?? editEnd(before, text), settings);
  }

  /**
   * The cursor settled at `position` (the client says so after it stops moving): encode the context there
   * in the background, unless a request or an encode for the document is already running.
   */
  prepareAt(doc: TextDocument, position: Position, settings: NanomindSettings['completion']): void {
    const text = doc.getText();
    if (!this.wantsPreparing(doc, settings, text) || this.inFlight.has(doc.uri) || position.line >= doc.lineCount) return;
    this.encodeAround(doc.uri, text, doc.offsetAt(position), settings);
  }

  /**
   * The time of the completion at `position` with the full context (nothing evicted), for the memory hover
   * (memory/index.ts): the editor's request (`run`) into a scratch memory, which first holds, untimed, the
   * `reused` chunks the measured request found already encoded, so both times count the same encoding work.
   * Off the typing path: it does not start while a request or an encode runs in any document, and stops at its
   * next model call when one starts. The document's memory, the suggestion cache and the memory brain's record
   * are left as they were. Null when it did not run to the end, or the model cannot run (the status says why).
   */
  async timeFullContext(
    doc: TextDocument,
    position: Position,
    settings: NanomindSettings['completion'],
    reused: number,
  ): Promise<{ ms: number; encoded: number } | null> {
    if (this.inFlight.size > 0 || position.line >= doc.lineCount) return null;
    const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
    try {
      const measured = await this.exclusive(doc.uri, never, async (cancelled) => {
        const stop = () => cancelled() || this.inFlight.size > 1;
        const engine = await this.loadEngine();
        const { chunk } = engine.model.spec;
        const w = contextWindow(doc.getText(), doc.offsetAt(position), settings.maxContextTokens, engine.tokenizer, chunk);
        const scratch = new DocumentMemory(lineEnds(engine));
        const first = firstChunks(w.prefixIds, w.suffixIds, reused, chunk);
        if (reused > 0 && !(await engine.model.encodeContext(scratch, first.prefixIds, first.suffixIds, stop))) return null;
        const outcome = await this.run(doc, position, { ...settings, decoder: 'diffusion' }, stop, {}, scratch);
        return outcome.modelMs === null ? null : { ms: outcome.modelMs, encoded: outcome.encoded };
      });
      return measured ?? null;
    } catch (e) {
      if (!(e instanceof ModelError)) this.log(`completion: timing the full context failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return null;
    }
  }

  private wantsPreparing(doc: TextDocument, settings: NanomindSettings['completion'], text: string): boolean {
    return settings.enabled && settings.languages.includes(doc.languageId) && settings.decoder === 'diffusion' && text.length <= prepareLimit;
  }

  private encodeAround(uri: string, text: string, offset: number, settings: NanomindSettings['completion']): void {
    const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
    void this.exclusive(uri, never, async (cancelled) => {
      if ((await this.registry.status('completion')).state !== 'ready') return;
      const engine = await this.loadEngine();
      const { tokenizer, model } = engine;
      const w = contextWindow(text, offset, settings.maxContextTokens, tokenizer, model.spec.chunk);
      const policy = (await this.memoryBrain?.policy(model)) ?? null;
      if (await model.encodeContext(this.contextMemory(uri, engine), w.prefixIds, w.suffixIds, cancelled, policy)) this.prepared++;
    }).catch((e) => {
      // Best effort: a model failure is in the status already (loadEngine); anything else is a bug to log.
      if (!(e instanceof ModelError)) this.log(`completion: encoding ahead failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    });
  }

  /** Runs `job` once every earlier job for the document has stopped; a newer job supersedes this one. */
  private async exclusive<T>(uri: string, token: CancellationToken, job: (cancelled: () => boolean) => Promise<T>): Promise<T | undefined> {
    // Only the newest job per document runs; an older one stops at its next check.
    const previous = this.inFlight.get(uri);
    if (previous) previous.superseded = true;
    let finish = () => {};
    const mine = { superseded: false, done: new Promise<void>((r) => (finish = r)) };
    this.inFlight.set(uri, mine);
    this.lastBusyAt = performance.now();
    try {
      await previous?.done;
      const cancelled = () => token.isCancellationRequested || mine.superseded;
      if (cancelled()) return undefined;
      return await job(cancelled);
    } finally {
      finish();
      this.lastBusyAt = performance.now();
      this.memories.trim(uri); // the job may have grown the document's memory
      if (this.inFlight.get(uri) === mine) this.inFlight.delete(uri);
    }
  }

  /**
   * Load the tokenizer and create the ONNX sessions now (at start-up), not on the first keystroke. The syntax
   * gate's grammars are not among them: an opened document's grammar loads when it opens (`prepare`), the
   * others with `preloadSyntax`, each grammar costing the start-up ~5-10 ms of the JavaScript thread.
   */
  async warmUp(): Promise<void> {
    if ((await this.registry.status('completion')).state !== 'ready') return;
    await this.loadEngine().catch(() => undefined); // recorded in the status and logged by loadEngine
  }

  /**
   * Resolves once no request or encode has run for `ms` (none in flight, and the last one ended `ms` ago). Work
   * that holds the JavaScript thread for a while (main.ts start-up checks) waits for such a pause instead of
   * landing in the middle of the first request: onnxruntime runs on that thread, so a message that arrives
   * during an encode is read only after it.
   */
  async quietFor(ms: number): Promise<void> {
    for (;;) {
      const left = this.inFlight.size > 0 ? ms : this.lastBusyAt + ms - performance.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, left));
    }
  }

  /** Starts loading every grammar the syntax gate checks (after start-up: main.ts). */
  preloadSyntax(): void {
    this.syntax.preload();
  }

  /** Forget a closed document's memory and suggestions. */
  forget(uri: string): void {
    this.texts.delete(uri);
    this.memories.forget(uri);
    this.cache.forget(uri);
  }

  /** Drop remembered suggestions but keep the encoded context (settings changed; the benchmark's warm runs). */
  clearSuggestions(): void {
    this.cache.clear();
  }

  /**
   * One request. `fullContext`: the full-context measurement's scratch memory (`timeFullContext`): the request
   * encodes into it with nothing evicted, and leaves the suggestion cache, the start-up timings and the memory
   * brain's record alone.
   */
  private async run(
    doc: TextDocument,
    position: Position,
    settings: NanomindSettings['completion'],
    cancelled: () => boolean,
    options: CompleteOptions,
    fullContext?: DocumentMemory,
  ): Promise<CompletionOutcome> {
    const started = performance.now();
    const engine = await this.loadEngine();
    const { tokenizer, tokenText, model, autoregressive } = engine;
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    // Always a range: VS Code drops a range-less item that does not match the word at the cursor. A
    // suggestion that rewrites the rest of the line (around a closing bracket) replaces those characters.
    const item = (s: Suggestion): InlineCompletionItem => ({
      insertText: s.text,
      range: { start: position, end: doc.positionAt(offset + s.replace) },
    });

    const time = <T>(step: 'firstEncode' | 'syntax', work: () => Promise<T>) => (fullContext ? work() : startupTimings.time(step, work));
    const cached = fullContext ? undefined : this.cache.lookup(doc.uri, text, offset);
    if (cached !== undefined)
      return {
        items: cached.text ? [item(cached)] : [],
        modelMs: performance.now() - started,
        forwards: 0,
        tokens: 0,
        encoded: 0,
        unchecked: cached,
        confidence: null,
      };

    const w = contextWindow(text, offset, settings.maxContextTokens, tokenizer, model.spec.chunk);
    const mode = options.mode ?? completionMode(w.linePrefix, w.lineSuffix);
    // The typed line sits on the canvas; its last token is re-chosen by the model ("healed").
    // Given typed ids: all but the last stay fixed; the last one's text is what the next slot must spell.
    const healFrom = (ids: number[]) => ({ fixed: ids.slice(0, -1), rest: ids.length ? tokenText(ids[ids.length - 1]) : '' });
    const heal = { ...healFrom(w.typedIds), tokenText };
    const fixed = heal.fixed;
    // `show` is false when the model was not confident enough: nothing is suggested (and remembered).
    let encoded = 0;
    /** The decoded span as the user would see it, before and after the syntax gate. */
    const gated = async (raw: string, show: boolean): Promise<{ unchecked: Suggestion; suggestion: Suggestion }> => {
      const ok = show && raw.startsWith(w.typed);
      const { lineAbove, lineBelow } = neighbourLines(text, offset);
      const unchecked = ok
        ? trimSuggestion(raw.slice(w.typed.length), { mode, linePrefix: w.linePrefix, lineSuffix: w.lineSuffix, lineAbove, lineBelow })
        : { text: '', replace: 0 };
      const suggestion = await time('syntax', () => this.syntax.check(doc.languageId, text, offset, unchecked));
      return { unchecked, suggestion };
    };
    const respond = (r: { unchecked: Suggestion; suggestion: Suggestion }, forwards: number, tokens: number, confidence: number): CompletionOutcome => {
      if (!fullContext) this.cache.store(doc.uri, text, offset, r.suggestion);
      const items = r.suggestion.text ? [item(r.suggestion)] : [];
      return { items, modelMs: performance.now() - started, forwards, tokens, encoded, unchecked: r.unchecked, confidence };
    };
    /** The first span index after the typed text (after the healed token, when a word is cut): a second answer's barred one. */
    const firstFree = fixed.length + (heal.rest ? 1 : 0);
    /** A single line the model wrote (beyond the typed text) that post-processing cut to nothing (it repeated a line). */
    const repeatsNeighbour = (unchecked: Suggestion, ids: number[]) =>
      mode === 'single_line' && !unchecked.text && ids.length > firstFree && tokenizer.decode(ids).slice(w.typed.length).trim() !== '';
    /**
     * A single line that shows nothing (the model ended the line at once, or what it wrote was cut or withheld)
     * where the parser says the typed line still needs an operand (`module.exports = `) gets a last answer whose
     * first new token may neither end the line, nor add only blanks, nor be the first answer's. That token is the
     * healed one when the typed line ends inside a token (`= ` ends in a blank that ` add` spells on): it must then
     * spell all of the typed rest and more. Null: no such answer (the line is finished, or something is shown).
     */
    const openLineBar = async (shown: boolean, ids: number[]): Promise<{ slot: number; bars: (id: number) => boolean } | null> => {
      if (mode !== 'single_line' || shown || options.retryUnfinished === false) return null;
      if (!(await this.syntax.needsOperand(doc.languageId, text, offset))) return null;
      const slot = fixed.length;
      const first = ids.length > slot ? ids[slot] : -1;
      // What a token adds after the typed rest it spells ('' when none is left) must be neither blank nor a line
      // break; <eos> and the other control tokens have no text, so they count as blanks.
      const adds = (id: number) => {
        const more = tokenText(id).slice(heal.rest.length);
        return more.trim() !== '' && !more.includes('\n');
      };
      return { slot, bars: (id) => id === first || !adds(id) };
    };
    const finish = async (ids: number[], forwards: number, confidence: number): Promise<CompletionOutcome> =>
      respond(await gated(tokenizer.decode(ids), confidence >= minConfidence), forwards, Math.max(0, ids.length - fixed.length), confidence);
    // The AR twin is optional (not in the VSIX): without it the diffusion model answers.
    const endsLine = lineEnds(engine);
    const twin = settings.decoder === 'autoregressive' ? await autoregressive() : null;
    const minConfidence = options.minConfidence ?? model.spec.confidenceGate?.[twin ? 'autoregressive' : 'diffusion']?.[mode] ?? defaultConfidenceGate;
    if (twin) {
      const prompt = this.memories.prompt(doc.uri);
      const r = await twin.infill(
        w.prefixIds,
        w.suffixIds,
        tokenizer.special,
        settings.maxTokens,
        (id) => mode === 'single_line' && endsLine(id),
        cancelled,
        heal,
        prompt,
      );
      if (r.cancelled) return none();
      const outcome = await finish(r.ids, r.forwards, r.minConfidence);
      // The same second answers as the diffusion model's below: when the first only repeated a line, and when
      // a line left open shows nothing.
      if (r.minConfidence < minConfidence) return outcome;
      const repeat = options.retryRepeat !== false && repeatsNeighbour(outcome.unchecked, r.ids);
      const open = repeat ? null : await openLineBar(outcome.items.length > 0, r.ids);
      if (!repeat && !open) return outcome;
      const barred = open ? { index: open.slot, bars: open.bars } : { index: firstFree, bars: (id: number) => id === r.ids[firstFree] };
      const other = await twin.infill(w.prefixIds, w.suffixIds, tokenizer.special, settings.maxTokens, endsLine, cancelled, heal, prompt, barred);
      return other.cancelled ? none() : finish(other.ids, r.forwards + other.forwards, other.minConfidence);
    }
    const memory = fullContext ?? this.contextMemory(doc.uri, engine);
    const policy = fullContext ? null : ((await this.memoryBrain?.policy(model)) ?? null);
    const kv = await time('firstEncode', () => model.encodeContext(memory, w.prefixIds, w.suffixIds, cancelled, policy));
    if (!kv) return none();
    encoded = memory.chunks.length - memory.lastReused;
    // The canvas starts at the mode's size and grows (up to canvasMax) while the span fills it without
    // ending: the committed tokens then stay on a larger canvas as given tokens, as in training, where any
    // slot of the canvas may be given. A small first canvas costs less per pass and, since the model tends
    // to fill the room it is given, ends spans nearer their true length (bench/results: 16 slots for a
    // single line, 32 for a block, against 32 and 64 before).
    const limit = Math.min(model.spec.canvasMax, fixed.length + settings.maxTokens + 1);
    const first = mode === 'single_line' ? (options.singleLineCanvas ?? model.spec.canvasSingleLine) : (options.multiLineCanvas ?? model.spec.canvasMultiLine);
    const sample = (given: { fixed: number[]; rest: string; barred?: { slot: number; bars: (id: number) => boolean } }, careful = false) =>
      sampleGrowing({
        // With evictions the kept tokens are renumbered: the canvas follows the kept prefix (memory/documentMemory.ts).
        denoise: (canvas, masked) => model.denoise(kv, canvas, memory.canvasStart, masked),
        canvasSize: given.fixed.length + first,
        maxCanvas: limit,
        vocabSize: model.spec.vocabSize,
        maskId: tokenizer.special.mask,
        eosId: tokenizer.special.eos,
        threshold: mode === 'single_line' ? settings.singleLineThreshold : careful ? redecodeThreshold : settings.threshold,
        minConfidence,
        cancellation: {
          get isCancellationRequested() {
            return cancelled();
          },
        },
        endsSpan: mode === 'single_line' ? endsLine : undefined,
        window: mode === 'multi_line' ? (options.multiLineWindow ?? model.spec.blockWindow) : (options.singleLineWindow ?? model.spec.lineWindow),
        finished: mode === 'multi_line' ? (ids) => blockEnded(tokenizer.decode(ids).slice(w.typed.length), w.linePrefix) : undefined,
        tokenText,
        ...given,
      });
    const firstSample = await sample(heal);
    if (firstSample.status === 'cancelled') return none();
    let result = await gated(tokenizer.decode(firstSample.ids), firstSample.status === 'done');
    // A block the model is unsure of further on: its whole lines before the first token under the gate are
    // still worth showing (the gate bench measures it on training-split cases).
    if (mode === 'multi_line' && firstSample.status === 'low-confidence' && options.confidentLines !== false) {
      const lines = confidentLines(tokenizer.decode(sureIds(firstSample, fixed.length, minConfidence)), w.typed);
      if (lines) result = await gated(lines, true);
    }
    let forwards = firstSample.forwards;
    let tokens = Math.max(0, firstSample.ids.length - fixed.length);
    // A small model often writes the line above or below the cursor again, which post-processing cuts to nothing
    // (one held-out single line in eight): its best answer that does not start with that line's first token is then
    // often the line meant: its first token after the typed text is barred.
    if (options.retryRepeat !== false && firstSample.status === 'done' && repeatsNeighbour(result.unchecked, firstSample.ids)) {
      const other = await sample({ ...heal, barred: { slot: firstFree, bars: (id) => id === firstSample.ids[firstFree] } });
      if (other.status === 'cancelled') return none();
      forwards += other.forwards;
      tokens = Math.max(0, other.ids.length - fixed.length);
      result = await gated(tokenizer.decode(other.ids), other.status === 'done');
    }
    // The gate cut or withheld the suggestion where it broke the code: the model decodes again from the part
    // it kept (given as typed text), more carefully, so the rest is written anew for that start instead of lost
    // (parallel decoding commits several tokens per pass, and one wrong token early on is often what the rest
    // went wrong from). The second answer replaces the first only where it keeps all of it and adds to it.
    const kept = result.suggestion;
    if (options.redecode !== false && kept.replace === 0 && kept.text !== result.unchecked.text) {
      const again = kept.text ? healFrom(tokenizer.encode(w.typed + kept.text)) : heal;
      if (again.fixed.length + 1 < limit) {
        const second = await sample(again, true);
        if (second.status === 'cancelled') return none();
        forwards += second.forwards;
        const retry = await gated(tokenizer.decode(second.ids), second.status === 'done');
        if (retry.suggestion.text.length > kept.text.length && retry.suggestion.text.startsWith(kept.text)) {
          result = { unchecked: result.unchecked, suggestion: retry.suggestion };
          tokens += Math.max(0, second.ids.length - again.fixed.length);
        }
      }
    }
    // Still nothing to show on a line the user left open (`x = `): one last answer that may not end it at once.
    const open = firstSample.status === 'done' ? await openLineBar(result.suggestion.text !== '', firstSample.ids) : null;
    if (open) {
      const last = await sample({ ...heal, barred: open });
      if (last.status === 'cancelled') return none();
      forwards += last.forwards;
      const answer = await gated(tokenizer.decode(last.ids), last.status === 'done');
      if (answer.suggestion.text) {
        result = answer;
        tokens = Math.max(0, last.ids.length - fixed.length);
      }
    }
    const outcome = respond(result, forwards, tokens, firstSample.minCommittedConfidence);
    if (fullContext) return outcome;
    this.memoryBrain?.completed(
      doc.uri,
      { version: doc.version, languageId: doc.languageId, cursor: offset, prefixStart: w.prefixStart, suffixStart: w.suffixStart },
      memory,
      outcome.modelMs ?? 0,
    );
    return outcome;
  }

  /** The loaded model and tokenizer, for tools that drive the model directly (training/namm, bench/memory.ts). */
  engineForTools(): Promise<Engine> {
    return this.loadEngine();
  }

  /** The engine, opened once; a failure is recorded in the registry (the status says why) and logged. */
  private loadEngine(): Promise<Engine> {
    if (!this.engine) {
      this.engine = openEngine(this.registry).catch((e: unknown) => {
        this.engine = undefined;
        throw this.engineFailed(e);
      });
    }
    return this.engine;
  }

  /** Makes the status say the brain cannot run, and why; logs what is not a model problem. */
  private engineFailed(e: unknown): ModelError {
    if (e instanceof ModelError) return this.registry.markFailed('completion', e.status);
    this.log(`completion: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return this.registry.markFailed('completion', { state: 'error', detail: `the completion model cannot run: ${firstLine(e)}` });
  }
}
