import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { editSimilarity, spread } from '../../bench/completion';

describe('bench:completion case selection', () => {
  it('--limit at or above the number of cases takes each case once', () => {
    const cases = Array.from({ length: 600 }, (_, i) => i);
    assert.deepEqual(spread(cases, 1200), cases);
    assert.deepEqual(spread(cases, 600), cases);
  });

  it('a smaller --limit spreads over every part of the sorted cases, without repeats', () => {
    const cases = Array.from({ length: 600 }, (_, i) => i);
    const picked = spread(cases, 240);
    assert.equal(picked.length, 240);
    assert.equal(new Set(picked).size, 240);
    assert.ok(picked[0] === 0 && picked[239] >= 595, 'from the first case to the last');
  });

  it('edit similarity is 1 for equal text and falls with each edit', () => {
    assert.equal(editSimilarity('return x;', 'return x;'), 1);
    assert.ok(Math.abs(editSimilarity('return x;', 'return y;') - 8 / 9) < 1e-9);
    assert.equal(editSimilarity('', 'abc'), 0);
  });
});
