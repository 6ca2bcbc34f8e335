// package.json's `contributes.configuration` must declare exactly the settings of `settingSpecs`
// (server/src/protocol.ts) with the same type, default, range and allowed values, so the settings UI,
// the client's fallbacks and the server's parser cannot drift apart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings, settingSpecs } from '../../server/src/protocol';
import { parseSettings } from '../../server/src/settings';

const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Record<string, unknown>> } };
};
const declared = manifest.contributes.configuration.properties;

describe('settings: package.json matches settingSpecs', () => {
  it('declares the same setting names', () => {
    assert.deepEqual(
      Object.keys(declared).sort(),
      Object.keys(settingSpecs)
        .map((k) => `nanomind.${k}`)
        .sort(),
    );
  });

  for (const [key, spec] of Object.entries(settingSpecs)) {
    it(`nanomind.${key}: type, default, minimum, maximum, enum`, () => {
      const d = declared[`nanomind.${key}`];
      assert.ok(d, `package.json declares nanomind.${key}`);
      for (const field of ['type', 'default', 'minimum', 'maximum', 'enum'] as const) {
        assert.deepEqual(d[field], (spec as Record<string, unknown>)[field], `${field} of nanomind.${key}`);
      }
      assert.equal(typeof d.description, 'string', `nanomind.${key} has a description`);
    });
  }

  it('defaultSettings and the parser of nothing are the specs` defaults', () => {
    assert.deepEqual(parseSettings(undefined), defaultSettings);
    for (const [key, spec] of Object.entries(settingSpecs)) {
      const [group, name] = key.split('.');
      const value = (defaultSettings as unknown as Record<string, Record<string, unknown> | undefined>)[group]?.[name];
      if (value !== undefined) assert.deepEqual(value, spec.default, key);
    }
  });

  it('the block threshold is the one the completion model was exported and evaluated with', () => {
    const spec = JSON.parse(readFileSync(path.join(root, 'training/completion/spec.json'), 'utf8')) as { sampler: { threshold: number } };
    assert.equal(settingSpecs['completion.threshold'].default, spec.sampler.threshold);
  });
});
