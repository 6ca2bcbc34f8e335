// The nanomind language server: connection and capability wiring only. Each brain lives in its
// own folder; this file hands them documents, settings and cancellation tokens.
// Runs inside VS Code (node IPC) or standalone: `nanomind-server --stdio`.
import * as path from 'node:path';
import * as fs from 'node:fs';
import {
  createConnection,
  LSPErrorCodes,
  InlineCompletionItem,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { changeEnd, CompletionBrain } from './completion';
import { MemoryBrain, memoryHoverMarkdown } from './memory';
import { Lifecycle, refusedMethod } from './lifecycle';
import { FrameChecker } from './wire';
import { invalid, requireContentChanges, requireDocumentUri, requireOpenedDocument, requirePosition, requireRange, requireVersion } from './params';
import {
  CursorNotification,
  MemoryMapRequest,
  PuzzleStepNotification,
  ServerCommands,
  StatusNotification,
  StatusRequest,
  type NanomindSettings,
  type SolvePuzzleArgs,
} from './protocol';
import { onnxConvMaze } from './reasoning/convMaze';
import { onnxActStep } from './reasoning/models';
import { PuzzleInputError, PuzzleSolver } from './reasoning/solve';
import { ModelError, ModelRegistry, sessionFromBytes } from './runtime/models';
import { OptimizedModelCache } from './runtime/optimizedModels';
import { sharedTokenizer } from './runtime/sharedTokenizer';
import { IdleCollector } from './runtime/idleCollector';
import { startupTimings } from './runtime/startupTimings';
import { parseSettings } from './settings';
import { StatusReporter } from './status';
import { onNotification, onRequest, sendNotification } from './typed';

const root = path.resolve(__dirname, '..');
const version = readVersion();
const lifecycle = new Lifecycle();
const connection = createConnection(ProposedFeatures.all, { messageStrategy: lifecycle });
connection.onRequest(refusedMethod, () => lifecycle.refused());
/** Where each document's last edit ended, read from the incremental changes as they are applied. */
const editEnds = new Map<string, number | undefined>();
/** Collects the old copies of large documents' text once typing pauses (runtime/idleCollector.ts). */
const collector = new IdleCollector((message) => connection.console.warn(`nanomind: ${message}`));
// A didOpen or didChange with a malformed document is ignored: the check throws, and vscode-languageserver
// logs "Notification handler ... failed" with the reason (a notification cannot be answered with an error).
const documents = new TextDocuments<TextDocument>({
  create: (uri, languageId, version, text) => TextDocument.create(...requireOpenedDocument(uri, languageId, version, text)),
  update: (doc, changes, version) => {
    const updated = TextDocument.update(doc, requireContentChanges(changes), requireVersion(version));
    editEnds.set(updated.uri, changeEnd(updated, changes));
    collector.edited(updated.getText().length);
    return updated;
  },
});
let settings: NanomindSettings = parseSettings(undefined);

/** Set at initialize when the client names a folder the server may write to (the extension's globalStorage). */
let optimizedModels: OptimizedModelCache | undefined;
const registry = new ModelRegistry(
  process.env.NANOMIND_MODELS_DIR || path.join(root, 'models'),
  (sha256, bytes) => (optimizedModels ? optimizedModels.session(sha256, bytes) : sessionFromBytes(sha256, bytes)),
  () => status.changed(),
);
const status = new StatusReporter(
  version,
  registry,
  (s) => void sendNotification(connection, StatusNotification, s),
  (message) => connection.console.warn(`nanomind: ${message}`),
);
// The memory brain owns every document's model memory; the completion brain encodes into it and asks it what
// to evict. It counts a position's context tokens, and times a completion with the full context, through the
// completion brain (memory/ imports no completion/).
const memory: MemoryBrain = new MemoryBrain(registry, {
  countContext: (doc, position) => completion.contextTokens(doc, position, settings.completion.maxContextTokens),
  timeFullContext: async (doc, position, reused) => (await completion.timeFullContext(doc, position, settings.completion, reused))?.ms ?? null,
});
const completion: CompletionBrain = new CompletionBrain(registry, { memory, log: (message) => connection.console.error(`nanomind: ${message}`) });
const puzzles = new PuzzleSolver(registry, onnxActStep, {}, onnxConvMaze);

connection.onInitialize((params) => {
  startupTimings.record('initialize', performance.now(), performance.now());
  const init = (params.initializationOptions ?? {}) as { settings?: unknown; storagePath?: unknown };
  applySettings(init.settings);
  if (typeof init.storagePath === 'string' && path.isAbsolute(init.storagePath)) {
    optimizedModels = new OptimizedModelCache(path.join(init.storagePath, 'optimized-models'), (m) => connection.console.warn(`nanomind: ${m}`));
  } else if (init.storagePath !== undefined) {
    connection.console.warn(`nanomind: initializationOptions.storagePath is not an absolute path; nothing is cached`);
  }
  void startUp();
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      inlineCompletionProvider: true,
      executeCommandProvider: { commands: [ServerCommands.solvePuzzle] },
    },
    serverInfo: { name: 'nanomind', version },
  };
});

/**
 * Loading starts at `initialize` (the client sends `initialized` and the first request only after its answer),
 * the first suggestion's needs first: the tokenizer and the completion sessions (a session from a cached
 * optimized graph does not wait for its model file's sha256; other files are checked as they are read), and
 * the grammar of each document as it opens (CompletionBrain.prepare). Then, once the first suggestion is out
 * (or the completion brain has had nothing to do for 1.5 s), the other grammars load and every model file not
 * checked yet is hashed off the request path, so a corrupt one is reported (the brain turned off) before it is
 * needed, and the tokenizer is read for the memory hover if completion is off. Failures are recorded in the
 * status and logged. The pause counts from the last request or encode, not from the warm-up: a user who opens
 * a file and types a second later keeps the server busy encoding the context, and a fixed 1.5 s after the
 * warm-up made that work start between the encode and the request it prepared, holding up the first suggestion.
 */
async function startUp(): Promise<void> {
  try {
    if (settings.completion.enabled) {
      await completion.warmUp();
      // The other files' hashing and reading would hold up the first request's model passes.
      if ((await registry.status('completion')).state === 'ready') {
        await Promise.race([startupTimings.firstAnswer, completion.quietFor(1500)]);
      }
      completion.preloadSyntax();
    }
    await Promise.all((['completion', 'memory', 'reasoning'] as const).map((b) => registry.verify(b)));
    await sharedTokenizer(registry).catch(() => undefined);
    status.changed();
  } catch (e) {
    connection.console.error(`nanomind: start-up checks failed: ${String(e)}`);
  }
}

connection.onDidChangeConfiguration((change) => {
  const raw = (change?.settings as { nanomind?: unknown } | null | undefined)?.nanomind;
  if (raw !== undefined) applySettings(raw);
});

// Params that are not an object (`null` included) never reach a handler: see lifecycle.ts.
onRequest(connection, StatusRequest, () => status.current());

connection.languages.inlineCompletion.on(async (params, token) => {
  const doc = openDocument(requireDocumentUri(params));
  const position = requirePosition(params);
  const started = performance.now();
  try {
    const outcome = await completion.complete(doc, position, settings.completion, token);
    if (outcome.modelMs !== null) status.recordCompletion(performance.now() - started);
    if (outcome.items.length > 0 && startupTimings.finish(started))
      connection.console.info(`nanomind: start-up to the first suggestion: ${startupTimings.describe()}`);
    return outcome.items satisfies InlineCompletionItem[];
  } catch (e) {
    // A model that fails to load is reported once in the status (the registry records it);
    // each keystroke then just gets no suggestion instead of an error.
    if (e instanceof ModelError) return [];
    throw e;
  }
});

connection.onHover(async (params) => {
  const doc = openDocument(requireDocumentUri(params));
  // The hover shows the full-context time: the first hover after a completion measures it (memory/index.ts).
  const report = await memory.report(doc, requirePosition(params), { timeFullContext: true });
  return { contents: { kind: 'markdown', value: memoryHoverMarkdown(report) } };
});

onRequest(connection, MemoryMapRequest, async (params) => {
  const doc = openDocument(requireDocumentUri({ textDocument: params }));
  const position = params?.position === undefined ? { line: 0, character: 0 } : requirePosition(params);
  return memory.report(doc, position);
});

connection.onExecuteCommand(async (params, token) => {
  if (typeof params.command !== 'string') throw invalid('command must be a string');
  if (params.command !== ServerCommands.solvePuzzle) throw invalid(`unknown command '${params.command}'`);
  if (params.arguments !== undefined && !Array.isArray(params.arguments)) throw invalid('arguments must be an array');
  const args = (params.arguments?.[0] ?? null) as SolvePuzzleArgs | null;
  const uri = requireDocumentUri({ textDocument: args });
  // A puzzle may sit in any file; one the client does not synchronize comes with the request.
  const given = args?.document;
  const doc =
    documents.get(uri) ??
    (given === undefined ? openDocument(uri) : TextDocument.create(...requireOpenedDocument(uri, given.languageId, given.version, given.text)));
  if (args?.range !== undefined) requireRange(args.range);
  try {
    return await puzzles.solve(doc, args!, token, (step) => void sendNotification(connection, PuzzleStepNotification, step));
  } catch (e) {
    if (e instanceof PuzzleInputError) {
      throw new ResponseError(LSPErrorCodes.RequestFailed, e.message, { line: e.error.line, column: e.error.column });
    }
    throw e;
  }
});

documents.onDidClose((e) => {
  editEnds.delete(e.document.uri);
  completion.forget(e.document.uri);
  memory.forget(e.document.uri);
});
// Encode the context where the user is typing while the client waits out its debounce, and where the
// cursor settles (a notification cannot be answered with an error: bad params are ignored).
documents.onDidChangeContent((e) => {
  completion.prepare(e.document, settings.completion, editEnds.get(e.document.uri));
  editEnds.delete(e.document.uri);
});
onNotification(connection, CursorNotification, (params) => {
  try {
    const doc = documents.get(requireDocumentUri(params));
    if (doc) completion.prepareAt(doc, requirePosition(params), settings.completion);
  } catch (e) {
    connection.console.warn(`nanomind: nanomind/cursor ignored: ${e instanceof Error ? e.message : String(e)}`);
  }
});

connection.onShutdown(() => {
  status.dispose();
  collector.dispose();
});

function openDocument(uri: string): TextDocument {
  const doc = documents.get(uri);
  if (!doc) throw invalid(`document ${uri} is not open`);
  return doc;
}

function applySettings(raw: unknown): void {
  settings = parseSettings(raw);
  memory.configure(settings.memory);
  completion.clearSuggestions(); // made under the old threshold / decoder / limits
  status.setCompletionEnabled(settings.completion.enabled);
}

function readVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// A bug in one request must not take the server down with the user's other requests.
process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${String(e)}`));

documents.listen(connection);
connection.listen();

// Over stdio, a byte stream that cannot be parsed ends the server with the reason on stderr (exit code 1),
// instead of leaving it running and deaf; the client sees the exit and can restart it.
if (process.argv.includes('--stdio')) {
  const checker = new FrameChecker({
    broken: (reason) => {
      process.stderr.write(`nanomind: the input cannot be read as LSP messages: ${reason}; exiting\n`);
      process.exit(1);
    },
    badMessage: (reason) => {
      process.stderr.write(`nanomind: ${reason}\n`);
      connection.console.error(`nanomind: ${reason}`);
    },
  });
  process.stdin.on('data', (chunk: Buffer) => checker.push(chunk));
}
