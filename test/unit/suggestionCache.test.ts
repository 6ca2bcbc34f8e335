import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SuggestionCache } from '../../server/src/completion/suggestionCache';

describe('SuggestionCache', () => {
  const text = 'const total = items.\nexport {};\n';
  const offset = text.indexOf('\n');

  it('gives the rest of a suggestion as its characters are typed', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, 'reduce((s, x) => s + x, 0);');
    assert.equal(cache.lookup('a', text, offset), 'reduce((s, x) => s + x, 0);');
    const typed = text.slice(0, offset) + 'red' + text.slice(offset);
    assert.equal(cache.lookup('a', typed, offset + 3), 'uce((s, x) => s + x, 0);');
  });

  it('misses when the user typed something else, in another document, or after the suffix changed', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, 'length;');
    const other = text.slice(0, offset) + 'map' + text.slice(offset);
    assert.equal(cache.lookup('a', other, offset + 3), undefined);
    assert.equal(cache.lookup('b', text, offset), undefined);
    const changedSuffix = text.slice(0, offset) + '\nexport { total };\n';
    assert.equal(cache.lookup('a', changedSuffix, offset), undefined);
  });

  it('remembers that a place had no suggestion, and evicts the oldest entries', () => {
    const cache = new SuggestionCache(1);
    cache.store('a', text, offset, '');
    assert.equal(cache.lookup('a', text, offset), '');
    cache.store('a', text, 3, 'x');
    assert.equal(cache.lookup('a', text, offset), undefined);
  });

  it('a fully typed suggestion is not offered again', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, 'x;');
    const done = text.slice(0, offset) + 'x;' + text.slice(offset);
    assert.equal(cache.lookup('a', done, offset + 2), undefined);
  });
});
