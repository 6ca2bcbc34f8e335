// The memory brain's features, scorer and keep rules against their numpy reference (training/namm/namm.py wrote
// test/fixtures/namm-reference.json from fixed attention rows and fixed scorer weights).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { featureCount, newTokenFeatures, stepToken, writeFeatures } from '../../server/src/memory/features';
import { keepTokens, protectedTokens } from '../../server/src/memory/keep';
import { Scorer } from '../../server/src/memory/scorer';

interface Fixture {
  n_layer: number;
  tokens: number;
  steps: { tokens: number[]; row: number[][]; visible: number }[];
  positions: number[];
  cursor: number;
  features: number[][];
  theta: number[];
  scores: number[];
  ends_line: boolean[];
  protected: boolean[];
  cap: number;
  kept: boolean[];
  received: number[];
}

const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'namm-reference.json'), 'utf8')) as Fixture;
const L = fixture.n_layer;

function replayFeatures(): Float64Array {
  const states = Array.from({ length: fixture.tokens }, () => newTokenFeatures(L));
  for (const s of fixture.steps) s.tokens.forEach((t, i) => stepToken(states[t], L, (l) => s.row[l][i], s.visible));
  const F = featureCount(L);
  const x = new Float64Array(fixture.tokens * F);
  states.forEach((f, t) => writeFeatures(f, fixture.positions[t], fixture.cursor, x, t * F));
  assert.deepEqual(
    states.map((f) => Number(f.received.toFixed(9))),
    fixture.received.map((r) => Number(r.toFixed(9))),
  );
  return x;
}

describe('memory brain vs training/namm/namm.py', () => {
  it('features: spectrogram EMA, age and distance on fixed attention', () => {
    const x = replayFeatures();
    const F = featureCount(L);
    let worst = 0;
    fixture.features.forEach((row, t) => row.forEach((v, f) => (worst = Math.max(worst, Math.abs(v - x[t * F + f])))));
    assert.ok(worst < 1e-12, `worst |diff| ${worst}`);
    assert.ok(
      fixture.features.some((row) => row.some((v, f) => f < 3 * L && v > 0.05)),
      'the fixture exercises the spectrum',
    );
  });

  it('scorer: backward attention and head give the reference scores', () => {
    const scores = new Scorer(L, fixture.theta).score(replayFeatures(), fixture.tokens);
    fixture.scores.forEach((s, i) => assert.ok(Math.abs(s - scores[i]) < 1e-9, `token ${i}: ${scores[i]} vs ${s}`));
  });

  it('keep rules: the nearest lines are protected, score < 0 evicts, the cap keeps the best', () => {
    const protect = protectedTokens(fixture.positions, fixture.ends_line, fixture.cursor);
    assert.deepEqual(Array.from(protect, Boolean), fixture.protected);
    const kept = keepTokens(fixture.scores, protect, fixture.cap);
    assert.deepEqual(Array.from(kept, Boolean), fixture.kept);
    assert.equal(
      kept.reduce((a, b) => a + b, 0),
      fixture.cap,
      'the fixture has more positive scores than room',
    );
    // Every protected token stays even with a negative score and no room.
    const none = keepTokens(
      fixture.scores.map(() => -1),
      protect,
      0,
    );
    assert.deepEqual(none, protect);
  });

  it('rejects a scorer of the wrong size or with a non-number', () => {
    assert.throws(() => new Scorer(L, fixture.theta.slice(1)), /parameters/);
    assert.throws(() => new Scorer(L, [...fixture.theta.slice(1), Number.NaN]), /finite/);
    assert.throws(() => Scorer.fromJson('{', L), /not JSON/);
    assert.throws(() => Scorer.fromJson(JSON.stringify({ format: 'x' }), L), /format/);
  });
});
