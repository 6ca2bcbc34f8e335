// The idle collector (server/src/runtime/idleCollector.ts): a collection once large edits pause, none for
// small ones or while edits keep coming.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleCollector } from '../../server/src/runtime/idleCollector';

describe('IdleCollector', () => {
  it('collects once after edits that replaced the threshold pause, not before', async () => {
    const c = new IdleCollector((m) => assert.fail(`unexpected log: ${m}`), 1000, 50);
    c.edited(400);
    await sleep(80);
    assert.equal(c.collections, 0, 'below the threshold: no collection');
    c.edited(400);
    c.edited(400);
    await sleep(20);
    c.edited(400); // typing goes on: the pause starts again
    await sleep(20);
    assert.equal(c.collections, 0, 'no collection while edits keep coming');
    await sleep(80);
    assert.equal(c.collections, 1, 'one collection once the edits paused');
    await sleep(80);
    assert.equal(c.collections, 1, 'and no more until new edits');
    c.dispose();
  });

  it('frees garbage: a large dropped string no longer counts in the heap after the collection', async () => {
    const c = new IdleCollector(() => {}, 1, 10);
    let big: string[] | null = Array.from({ length: 200_000 }, (_, i) => `line ${i} of a large document`);
    const before = process.memoryUsage().heapUsed;
    assert.ok(big.length > 0);
    big = null;
    c.edited(1);
    await sleep(40);
    assert.equal(c.collections, 1);
    assert.ok(process.memoryUsage().heapUsed < before - 5e6, 'the dropped array was collected');
    c.dispose();
  });
});
