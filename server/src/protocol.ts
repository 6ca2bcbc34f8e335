// Custom messages between the nanomind client and server. Both sides import this file, so a change
// to a message shape is one edit that the compiler checks on both ends. Only plain data crosses the
// wire; nothing here depends on VS Code or on the server's internals.
//
// The client (languageclient 11) and the server (languageserver 10) each bundle their own copy of
// vscode-jsonrpc, so message objects from one copy do not type-check against the other. A message is
// therefore a method name tagged with its parameter and result types; `typed.ts` on each side turns
// it into calls of that side's library.

/** A request: method name plus phantom parameter and result types. */
export interface Request<P, R> {
  method: string;
  /** Type-level only; never set. */
  readonly _types?: [P, R];
}

/** A notification: method name plus phantom parameter type. */
export interface Notification<P> {
  method: string;
  readonly _types?: P;
}

const request = <P, R>(method: string): Request<P, R> => ({ method });
const notification = <P>(method: string): Notification<P> => ({ method });

/** The three brains the server hosts; each is enabled or disabled on its own. */
export type BrainName = 'completion' | 'memory' | 'reasoning';

/** Why a brain can or cannot work right now. `detail` names the file and the reason when it cannot. */
export interface BrainStatus {
  state: 'ready' | 'not-installed' | 'corrupt' | 'error';
  detail: string;
}

export interface ServerStatus {
  version: string;
  /** The server's process id (shown in the tooltip; lets tests see a restart). */
  pid: number;
  brains: Record<BrainName, BrainStatus>;
  /** Wall time of the last inline-completion request, measured in the server; null before the first. */
  lastCompletionMs: number | null;
  completionEnabled: boolean;
  /** What start-up took, step by step, until the first suggestion (ms since the server process started). */
  startup: StartupBreakdown;
}

/** The steps of the server's start-up, in the order they usually begin (server/src/runtime/startupTimings.ts records them). */
export const startupSteps = ['initialize', 'verify', 'tokenizer', 'sessions', 'selfTest', 'firstEncode', 'syntax', 'firstRequest'] as const;
export type StartupStep = (typeof startupSteps)[number];

/** One step: from the start of its first piece of work to the end of its last, in ms since the server process started. */
export interface StartupSpan {
  startMs: number;
  endMs: number;
  /** Pieces of work in the span (files hashed, sessions created). */
  count: number;
}

export type StartupBreakdown = Partial<Record<StartupStep, StartupSpan>>;

/** Client → server: the whole status, on demand (also used by tests and the status bar at start). */
export const StatusRequest = request<void, ServerStatus>('nanomind/status');

/** Server → client: the status changed (a brain loaded or failed, a completion finished). */
export const StatusNotification = notification<ServerStatus>('nanomind/statusChanged');

/**
 * Every `nanomind.*` setting with its default and its allowed values: the one definition. The server parses
 * against it (settings.ts), the client falls back to it (client/src/config.ts), and
 * test/unit/settingsManifest.test.ts checks that package.json's `contributes.configuration` declares the same.
 */
export const settingSpecs = {
  'completion.enabled': { type: 'boolean', default: true },
  'completion.languages': {
    type: 'array',
    default: ['typescript', 'javascript', 'typescriptreact', 'javascriptreact', 'python'] as string[],
  },
  /** Read by the client only: the pause in typing before it asks for a suggestion. */
  'completion.debounceMs': { type: 'integer', default: 75, minimum: 0, maximum: 2000 },
  'completion.maxContextTokens': { type: 'integer', default: 512, minimum: 64, maximum: 2048 },
  'completion.maxTokens': { type: 'integer', default: 64, minimum: 1, maximum: 256 },
  // Chosen by measurement (models/MODEL_CARD.md, 1200 held-out cases): a block commits 3.7 tokens per pass
  // at 0.3 with the exact match of one token per pass; a line, short and already fast, keeps more of its
  // exact match with a stricter threshold.
  'completion.threshold': { type: 'number', default: 0.3, minimum: 0, maximum: 1 },
  'completion.singleLineThreshold': { type: 'number', default: 0.9, minimum: 0, maximum: 1 },
  'completion.decoder': { type: 'string', default: 'diffusion', enum: ['diffusion', 'autoregressive'] },
  // The cap on the memory brain's kept share. 1: the scorer alone decides. A cap hurts the 512-token default
  // window (40 held-out infill cases, span likelihood vs the full window: 1.00 at 1, 0.83 at 0.5, 0.75 at 0.25;
  // models/MODEL_CARD.md#memory).
  'memory.budget': { type: 'number', default: 1, minimum: 0.01, maximum: 1 },
  // Off by default: a report on every hover is noise unless the user wants to see the memory.
  'memory.hover': { type: 'boolean', default: false },
} as const;

export type SettingKey = keyof typeof settingSpecs;

/** Settings the server honours, sent by the client at start and on change (section `nanomind`). */
export interface NanomindSettings {
  completion: {
    enabled: boolean;
    languages: string[];
    maxContextTokens: number;
    maxTokens: number;
    /** Commit threshold of the diffusion sampler for a block (multi-line) suggestion. */
    threshold: number;
    /** The same for a single-line suggestion. */
    singleLineThreshold: number;
    decoder: (typeof settingSpecs)['completion.decoder']['enum'][number];
  };
  memory: {
    /** Most context tokens the memory brain keeps, as a fraction of those read (0..1]; 1: the scorer alone decides. */
    budget: number;
    /** Whether a hover shows the memory report at all. */
    hover: boolean;
  };
}

const spec = settingSpecs;
export const defaultSettings: NanomindSettings = {
  completion: {
    enabled: spec['completion.enabled'].default,
    languages: [...spec['completion.languages'].default],
    maxContextTokens: spec['completion.maxContextTokens'].default,
    maxTokens: spec['completion.maxTokens'].default,
    threshold: spec['completion.threshold'].default,
    singleLineThreshold: spec['completion.singleLineThreshold'].default,
    decoder: spec['completion.decoder'].default,
  },
  memory: { budget: spec['memory.budget'].default, hover: spec['memory.hover'].default },
};

/** Per-document context report: what the memory brain read, kept and dropped. */
export interface MemoryReport {
  uri: string;
  /** Context tokens of the document as the completion model reads them; null without a tokenizer. */
  tokensRead: number | null;
  tokensKept: number | null;
  dropped: { comment: number; whitespace: number; code: number };
  /** fullContextMs - lastCompletionMs: what the memory brain saved that completion (negative: it cost time); null when not measured. */
  msSaved: number | null;
  /** Wall time of the last completion in this document (null: none since the last edit). */
  lastCompletionMs: number | null;
  /**
   * The same completion's time with the full context (nothing evicted), measured once, on the first hover after
   * it (null: not timed yet, or the memory brain is off and the completion already read the full context).
   */
  fullContextMs: number | null;
  /** Whether the asked-about line is in memory ('not-measured' before a completion read the current text). */
  line: 'kept' | 'dropped' | 'not-read' | 'not-measured';
  /** The document's text the model dropped from memory in the last completion (the memory map fades it). */
  droppedRanges: TextRange[];
  /** The memory budget in force (`nanomind.memory.budget`). */
  budget: number;
  /** Set when the memory brain cannot run; the report then only counts tokens. */
  unavailable?: string;
}

export interface MemoryMapParams {
  uri: string;
  /** Where the cursor is; the start of the document when absent. */
  position?: { line: number; character: number };
}
export const MemoryMapRequest = request<MemoryMapParams, MemoryReport>('nanomind/memoryMap');

/**
 * Client → server when the cursor has settled somewhere (no move for a moment): the server encodes the
 * completion context there in the background, so the first request after clicking into a file does not pay
 * for it. Ignored for documents that get no completions; never answered.
 */
export interface CursorParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
}
export const CursorNotification = notification<CursorParams>('nanomind/cursor');

/** Commands the server executes through `workspace/executeCommand`. */
export const ServerCommands = {
  solvePuzzle: 'nanomind.server.solvePuzzle',
} as const;

/** A 0-based LSP range, repeated here so the protocol file stays free of library imports. */
export interface TextRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Arguments of `nanomind.server.solvePuzzle` (the first element of `arguments`). */
export interface SolvePuzzleArgs {
  uri: string;
  /**
   * The document itself, for one the server is not sent (a language outside the completion languages, say a
   * puzzle selected in a Markdown file): its text, language id and version. A synchronized document's own
   * state wins.
   */
  document?: { text: string; languageId: string; version: number };
  /** Solve only this part of the document; the whole document when absent. */
  range?: TextRange;
  /** Use the classical solver instead of the network (the view labels it as such). */
  exact?: boolean;
  /** Chosen by the client; step notifications carry it so a view can ignore other runs. */
  runId?: string;
}

/** Server → client while the network runs: the grid after one ACT step. */
export interface PuzzleStep {
  runId: string;
  step: number;
  rows: string[];
  haltProbability: number;
  ms: number;
}
export const PuzzleStepNotification = notification<PuzzleStep>('nanomind/puzzleStep');

export interface SolvePuzzleResult {
  runId: string;
  family: 'sudoku' | 'maze';
  /** The puzzle as display rows ('.' blanks for Sudoku; the maze as written). */
  puzzleRows: string[];
  solver: 'network' | 'exact';
  /**
   * verified: the answer passed the rules; failed: it did not (see problems);
   * cancelled: the user stopped it; unavailable: the network could not run (see unavailable).
   */
  outcome: 'verified' | 'failed' | 'cancelled' | 'unavailable';
  unavailable?: string;
  /** ACT steps run, and whether the halt head stopped the loop (false: the step limit did). */
  steps: number;
  halted: boolean;
  ms: number;
  /** Grid views the network was run on (rotations/reflections), when more than one may be tried. */
  views?: number;
  /**
   * Which network's answer this is: the HRM, or (mazes) the recurrent conv model. `steps` counts the steps of every
   * network run, in order (the conv model's steps are its cycles).
   */
  network?: 'hrm' | 'conv';
  /** Mazes: the networks run in the cascade, in order, each with its own steps, time and verdict. */
  tried?: { network: 'hrm' | 'conv'; steps: number; ms: number; outcome: 'verified' | 'failed' }[];
  /** Something the user should know about how it was solved (e.g. the conv maze model is off, and why). */
  note?: string;
  answerRows: string[] | null;
  /** The document text of `range` with the answer written in, in the user's layout. */
  answerText: string | null;
  range: TextRange;
  /** The document version the answer was computed for; Apply refuses a changed document. */
  version: number;
  problems: { message: string; cells: { row: number; column: number }[] }[];
}
