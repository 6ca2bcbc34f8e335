import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SuggestionCache } from '../../server/src/completion/suggestionCache';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ins = (text: string) => ({ text, replace: 0 });

describe('SuggestionCache', () => {
  const text = 'const total = items.\nexport {};\n';
  const offset = text.indexOf('\n');

  it('gives the rest of a suggestion as its characters are typed', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, ins('reduce((s, x) => s + x, 0);'));
    assert.deepEqual(cache.lookup('a', text, offset), ins('reduce((s, x) => s + x, 0);'));
    const typed = text.slice(0, offset) + 'red' + text.slice(offset);
    assert.deepEqual(cache.lookup('a', typed, offset + 3), ins('uce((s, x) => s + x, 0);'));
  });

  it('misses when the user typed something else, in another document, or after the suffix changed', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, ins('length;'));
    const other = text.slice(0, offset) + 'map' + text.slice(offset);
    assert.equal(cache.lookup('a', other, offset + 3), undefined);
    assert.equal(cache.lookup('b', text, offset), undefined);
    const changedSuffix = text.slice(0, offset) + '\nexport { total };\n';
    assert.equal(cache.lookup('a', changedSuffix, offset), undefined);
  });

  it('remembers that a place had no suggestion, and evicts the oldest entries', () => {
    const cache = new SuggestionCache(1);
    cache.store('a', text, offset, ins(''));
    assert.deepEqual(cache.lookup('a', text, offset), ins(''));
    cache.store('a', text, 3, ins('x'));
    assert.equal(cache.lookup('a', text, offset), undefined);
  });

  it('keeps the replaced characters of a suggestion that rewrites the rest of the line', () => {
    const line = 'for (let i = 0; i < n; )\n';
    const at = line.indexOf(')');
    const cache = new SuggestionCache(4);
    cache.store('a', line, at, { text: 'i++) {', replace: 1 });
    const typed = line.slice(0, at) + 'i+' + line.slice(at);
    assert.deepEqual(cache.lookup('a', typed, at + 2), { text: '+) {', replace: 1 });
  });

  it('a fully typed suggestion is not offered again', () => {
    const cache = new SuggestionCache(4);
    cache.store('a', text, offset, ins('x;'));
    const done = text.slice(0, offset) + 'x;' + text.slice(offset);
    assert.equal(cache.lookup('a', done, offset + 2), undefined);
  });

  it('does not keep the documents it saw alive (a 10 MB document, 20 versions)', () => {
    const cache = new SuggestionCache(64);
    // Large strings made from buffers live outside the JavaScript heap: count both.
    const used = () => (gc(), process.memoryUsage().heapUsed + process.memoryUsage().external);
    const before = used();
    let doc = 'x'.repeat(10_000_000);
    for (let v = 0; v < 20; v++) {
      // A new version each round, as an edit makes: a flat string, not built from the previous one.
      doc = `// version ${v}\n` + doc.slice(20);
      doc = Buffer.from(doc, 'latin1').toString('latin1');
      cache.store('big', doc, 5_000_000, ins('suggestion text'));
    }
    assert.deepEqual(cache.lookup('big', doc, 5_000_000), ins('suggestion text'));
    doc = '';
    const grownMb = (used() - before) / 2 ** 20;
    assert.ok(grownMb < 60, `the cache holds ${grownMb.toFixed(0)} MB after 20 versions of a 10 MB document`);
  });
});
