// What "Show Memory Map" and the status menu say about the memory brain (client/src/memoryText.ts), and the hover's
// figures they share with the server (server/src/memory/wording.ts, memoryHoverMarkdown in server/src/memory/index.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBrainText, memoryMapOutcome, savingsText } from '../../client/src/memoryText';
import { memoryHoverMarkdown } from '../../server/src/memory';
import { budgetText, keptText, savedPercent } from '../../server/src/memory/wording';
import type { MemoryReport } from '../../server/src/protocol';

/** A report after a completion that kept 100 of 400 context tokens, dropping two ranges. */
const measured: MemoryReport = {
  uri: 'file:///w/a.py',
  tokensRead: 400,
  tokensKept: 100,
  dropped: { comment: 120, whitespace: 80, code: 100 },
  msSaved: null,
  lastCompletionMs: 61.4,
  fullContextMs: null,
  line: 'kept',
  droppedRanges: [
    { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
    { start: { line: 5, character: 4 }, end: { line: 5, character: 20 } },
  ],
  budget: 0.25,
};
/** The same document before any completion read its text. */
const notMeasured: MemoryReport = {
  ...measured,
  tokensKept: 400,
  lastCompletionMs: null,
  line: 'not-measured',
  droppedRanges: [],
  dropped: { comment: 0, whitespace: 0, code: 0 },
};

describe('memory wording', () => {
  it('words the figures once for the hover, the map and the menu', () => {
    assert.equal(savedPercent(400, 100), 75);
    assert.equal(savedPercent(0, 0), 0);
    assert.equal(keptText(measured), 'kept 100 of 400 context tokens (75.0% saved)');
    assert.equal(keptText({ tokensRead: null, tokensKept: null }), null);
    assert.equal(budgetText(0.25), '25% of the context, nearest lines always kept');
    assert.equal(budgetText(1), 'none, the scorer alone decides');
  });

  it('the memory map fades what was dropped, and says so', () => {
    const out = memoryMapOutcome(measured, 'a.py');
    assert.equal(out.fade, true);
    assert.equal(out.message, 'nanomind: kept 100 of 400 context tokens (75.0% saved); dropped text faded until the next edit');
  });

  it('the memory map fades nothing silently: before a completion, with the brain off, or with nothing dropped', () => {
    const before = memoryMapOutcome(notMeasured, 'a.py');
    assert.equal(before.fade, false);
    assert.match(before.message, /no completion of its current text is in the model's memory; type or trigger a completion first/);
    const off = memoryMapOutcome({ ...notMeasured, unavailable: 'the memory model is not trained yet' }, 'a.py');
    assert.equal(off.fade, false);
    assert.match(off.message, /the memory brain is off \(the memory model is not trained yet\)/);
    const all = memoryMapOutcome({ ...measured, tokensKept: 400, droppedRanges: [] }, 'a.py');
    assert.equal(all.fade, false);
    assert.match(all.message, /kept 400 of 400 context tokens \(0\.0% saved\) in a\.py; nothing was dropped/);
    const uncounted = memoryMapOutcome({ ...notMeasured, tokensRead: null, tokensKept: null }, 'a.py');
    assert.match(uncounted.message, /no tokenizer loaded/);
  });

  it('the status menu says whether the brain is on, its budget, or why it is off', () => {
    const ready = { state: 'ready' as const, detail: '1 file(s)' };
    assert.equal(memoryBrainText(ready, undefined, 1), 'memory brain on, budget none, the scorer alone decides');
    assert.equal(memoryBrainText(ready, measured, 1), 'memory brain on, budget 25% of the context, nearest lines always kept', "the server's budget in force");
    const noGraph = { ...measured, unavailable: 'the encode graph has no attention_received output' };
    assert.equal(memoryBrainText(ready, noGraph, 1), 'memory brain off: the encode graph has no attention_received output');
    const untrained = { state: 'not-installed' as const, detail: 'model not installed: no memory model in models/manifest.json' };
    assert.equal(memoryBrainText(untrained, undefined, 1), 'memory brain off: not trained yet');
    assert.equal(memoryBrainText(undefined, undefined, 1), 'memory brain off: the server is not running');
  });

  it('the status menu gives the last savings in the active document, with the full-context time once measured', () => {
    assert.equal(savingsText(measured, 'a.py'), 'a.py: kept 100 of 400 context tokens (75.0% saved) · last completion 61 ms');
    assert.equal(
      savingsText({ ...measured, fullContextMs: 90.2, msSaved: 28.8 }, 'a.py'),
      'a.py: kept 100 of 400 context tokens (75.0% saved) · last completion 61 ms (90 ms with the full context)',
    );
    assert.equal(savingsText(notMeasured, 'a.py'), "a.py: no completion of its current text is in the model's memory");
  });

  it('the hover says when the full context is not timed yet, and gives its time once it is', () => {
    assert.match(memoryHoverMarkdown(measured), / · last completion 61 ms \(not yet timed with the full context\) · this line is in memory · /);
    assert.match(memoryHoverMarkdown({ ...measured, fullContextMs: 90.2, msSaved: 28.8 }), / · last completion 61 ms \(90 ms with the full context\) · /);
    const off = { ...measured, tokensKept: 400, unavailable: 'models/memory-scorer.json: corrupt' };
    assert.equal(memoryHoverMarkdown(off), '**nanomind memory** — 400 context tokens read here, all kept: models/memory-scorer.json: corrupt.');
  });
});
