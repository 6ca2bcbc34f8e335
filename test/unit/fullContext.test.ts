// The full-context time of the memory hover (CompletionBrain.timeFullContext, server/src/completion/index.ts) on
// the tiny random-weight model (test/fixtures/tiny-completion): it redoes the editor's last request with nothing
// evicted, encoding as much as that request encoded, leaves the document's memory and the suggestion cache alone,
// and never holds up a request: it does not start beside one and stops when one starts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionBrain, firstChunks } from '../../server/src/completion';
import { defaultSettings } from '../../server/src/protocol';
import { ModelRegistry } from '../../server/src/runtime/models';

const fixture = path.join(__dirname, '..', 'fixtures', 'tiny-completion');
let registry: ModelRegistry;

before(() => {
  registry = new ModelRegistry(fixture);
});

const settings = { ...defaultSettings.completion, maxTokens: 8 };
const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
// ~700 context tokens before the cursor and some after: several groups of four 64-token chunks.
const lines = Array.from({ length: 80 }, (_, i) => `const value${i} = compute(${i}, "item ${i}");`);
const text = (middle: string) => [...lines.slice(0, 60), middle, ...lines.slice(60)].join('\n') + '\n';
const cursor = { line: 60, character: 14 };

describe('firstChunks', () => {
  it('gives the tokens of the first n chunks: prefix chunks, then suffix chunks after the whole prefix', () => {
    const prefix = Array.from({ length: 150 }, (_, i) => i);
    const suffix = Array.from({ length: 100 }, (_, i) => 1000 + i);
    assert.deepEqual(firstChunks(prefix, suffix, 0, 64), { prefixIds: [], suffixIds: [] });
    assert.deepEqual(firstChunks(prefix, suffix, 2, 64), { prefixIds: prefix.slice(0, 128), suffixIds: [] });
    assert.deepEqual(firstChunks(prefix, suffix, 3, 64), { prefixIds: prefix, suffixIds: [] }, 'the last prefix chunk is short');
    assert.deepEqual(firstChunks(prefix, suffix, 4, 64), { prefixIds: prefix, suffixIds: suffix.slice(0, 64) });
    assert.deepEqual(firstChunks(prefix, suffix, 9, 64), { prefixIds: prefix, suffixIds: suffix });
  });
});

describe('CompletionBrain.timeFullContext on the tiny model', () => {
  const doc = TextDocument.create('file:///f.ts', 'typescript', 1, text('  let fresh = '));

  it('redoes the last request with as much encoding, leaving the memory and the suggestion cache alone', async () => {
    const brain = new CompletionBrain(registry);
    const cold = await brain.complete(doc, cursor, settings, token);
    const memory = brain.memories.peek(doc.uri)!;
    const state = { generation: memory.generation, reused: memory.lastReused, chunks: memory.chunks.length };
    assert.equal(state.reused, 0);
    const full = await brain.timeFullContext(doc, cursor, settings, state.reused);
    assert.ok(full && full.ms > 0, `a time: ${JSON.stringify(full)}`);
    assert.equal(full.encoded, cold.encoded, 'a cold request: both encode the whole context');
    const after = brain.memories.peek(doc.uri)!;
    assert.deepEqual({ generation: after.generation, reused: after.lastReused, chunks: after.chunks.length }, state, "the document's memory is untouched");

    // After an edit a few lines up the request reuses the groups before it; the measurement starts from as many.
    const edited = TextDocument.create(doc.uri, 'typescript', 2, doc.getText().replace('compute(55,', 'compute(55 + 1,'));
    const warm = await brain.complete(edited, cursor, settings, token);
    const reused = brain.memories.peek(doc.uri)!.lastReused;
    assert.ok(reused > 0 && warm.encoded > 0, `a partly reused memory: ${reused} reused, ${warm.encoded} encoded`);
    const again = await brain.timeFullContext(edited, cursor, settings, reused);
    assert.equal(again?.encoded, warm.encoded);

    // Measuring where the editor never asked stores no suggestion: the editor's request there runs the model.
    const elsewhere = { line: 10, character: 5 };
    assert.ok(await brain.timeFullContext(edited, elsewhere, settings, 0));
    assert.ok((await brain.complete(edited, elsewhere, settings, token)).forwards > 0, 'not answered from the cache');
  });

  it('does not start beside a running request, and a request that starts stops it', async () => {
    const brain = new CompletionBrain(registry);
    const other = TextDocument.create('file:///other.ts', 'typescript', 1, text('  let other = '));
    await brain.complete(doc, cursor, settings, token);
    const running = brain.complete(other, cursor, settings, token);
    assert.equal(await brain.timeFullContext(doc, cursor, settings, 0), null, 'a request runs in another document');
    await running;
    const measuring = brain.timeFullContext(doc, cursor, settings, 0);
    const request = brain.complete(other, { line: 20, character: 3 }, settings, token);
    const [measured, answered] = await Promise.all([measuring, request]);
    assert.equal(measured, null, 'the measurement gave way');
    assert.ok(answered.modelMs !== null, 'the request ran to the end');
    const sameDocument = brain.timeFullContext(doc, cursor, settings, 0);
    const edit = brain.complete(doc, { line: 30, character: 3 }, settings, token);
    assert.equal(await sameDocument, null, 'a request in the same document supersedes it');
    assert.ok((await edit).modelMs !== null);
  });
});
