import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings } from '../../server/src/protocol';
import { maxContextTokensLimit, parseSettings } from '../../server/src/settings';

describe('parseSettings', () => {
  it('gives the defaults for nothing or garbage', () => {
    assert.deepEqual(parseSettings(undefined), defaultSettings);
    assert.deepEqual(parseSettings('nonsense'), defaultSettings);
    assert.deepEqual(parseSettings([1, 2]), defaultSettings);
  });

  it('keeps good values and replaces only the bad ones', () => {
    const s = parseSettings({
      completion: {
        enabled: false,
        languages: ['python'],
        maxTokens: 9999,
        threshold: 0.5,
        singleLineThreshold: 1.5,
        decoder: 'autoregressive',
        maxContextTokens: 12.5,
      },
      memory: { hover: 'yes' },
    });
    assert.equal(s.completion.enabled, false);
    assert.deepEqual(s.completion.languages, ['python']);
    assert.equal(s.completion.maxTokens, defaultSettings.completion.maxTokens);
    assert.equal(s.completion.maxContextTokens, defaultSettings.completion.maxContextTokens);
    assert.equal(s.completion.threshold, 0.5);
    assert.equal(s.completion.singleLineThreshold, defaultSettings.completion.singleLineThreshold, 'out of range: the default');
    assert.equal(s.completion.decoder, 'autoregressive');
    assert.equal(s.memory.hover, defaultSettings.memory.hover, 'not a boolean: the default');
  });

  it('serves a context window above the measured limit at the limit', () => {
    assert.equal(parseSettings({ completion: { maxContextTokens: 8192 } }).completion.maxContextTokens, maxContextTokensLimit);
    assert.equal(parseSettings({ completion: { maxContextTokens: 1024 } }).completion.maxContextTokens, 1024);
    assert.equal(parseSettings({ completion: { maxContextTokens: 8 } }).completion.maxContextTokens, defaultSettings.completion.maxContextTokens);
  });
});
