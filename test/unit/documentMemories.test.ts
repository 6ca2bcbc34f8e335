// Every document's model memory (memory/documentMemories.ts) stays under its byte budget: documents not used
// recently give their K/V back and are encoded again, with the same answer, when they are used again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionBrain } from '../../server/src/completion';
import { DocumentMemories } from '../../server/src/memory/documentMemories';
import { defaultSettings } from '../../server/src/protocol';
import { ModelRegistry } from '../../server/src/runtime/models';

const fixture = path.join(__dirname, '..', 'fixtures', 'tiny-completion');
const settings = { ...defaultSettings.completion, maxTokens: 8 };
const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
const source = (i: number) => Array.from({ length: 40 }, (_, j) => `const value${i}_${j} = compute(${j}, "item ${i}");`).join('\n') + '\n\n';
const docAt = (i: number) => TextDocument.create(`file:///m${i}.ts`, 'typescript', 1, source(i));
const end = { line: 40, character: 0 };

describe('DocumentMemories', () => {
  it('gives back the least recently used documents once the total is over the budget', async () => {
    const registry = new ModelRegistry(fixture);
    const one = new CompletionBrain(registry);
    await one.complete(docAt(0), end, settings, token);
    const perDocument = one.memories.bytes();
    assert.ok(perDocument > 0, 'a completion leaves the document encoded');

    const brain = new CompletionBrain(registry, { memoryBudgetBytes: Math.floor(perDocument * 3.5) });
    for (let i = 0; i < 8; i++) await brain.complete(docAt(i), end, settings, token);
    assert.deepEqual(brain.memories.documents(), ['file:///m5.ts', 'file:///m6.ts', 'file:///m7.ts'], 'the three most recent stay');
    assert.ok(brain.memories.bytes() <= brain.memories.budgetBytes);

    // A document given back is encoded again from its text, with the same answer as a fresh brain's.
    brain.clearSuggestions();
    const again = await brain.complete(docAt(0), end, settings, token);
    const fresh = await new CompletionBrain(registry).complete(docAt(0), end, settings, token);
    assert.ok(again.encoded > 0, 'its chunks were encoded again');
    assert.deepEqual(again.items, fresh.items);
    assert.equal(again.forwards, fresh.forwards);
    assert.ok(brain.memories.documents().includes('file:///m0.ts'));
  });

  it('keeps the document in use even when it alone is over the budget', () => {
    const memories = new DocumentMemories(1);
    const m = memories.context('a');
    const one = Int32Array.of(0);
    m.chunks.push({
      ids: [1],
      pos: [0],
      suffix: false,
      kv: { layers: [new Float32Array(16)], tokens: 1 },
      row: one,
      kept: Uint8Array.of(1),
      encodedAt: one,
      at: one,
      features: [null],
    });
    memories.prompt('b').layers = [new Float32Array(16)];
    memories.trim('a');
    assert.deepEqual(memories.documents(), ['a']);
    assert.equal(memories.bytes(), 64);
    memories.forget('a');
    assert.equal(memories.bytes(), 0);
  });
});
