// Protocol tests of the memory brain with the shipped models: after a completion in a long file, the hover's
// numbers are the server's memory state (nanomind/memoryMap returns the same state and the dropped ranges, and
// a line inside them is the hover's "dropped" line); the hover times the completion with the full context once;
// before any completion the map says nothing was measured; a corrupt or missing scorer turns only the memory
// brain off, and completion keeps working on the whole context.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot, startServer, withTimeout } from './client';
import type { MemoryReport } from '../../server/src/protocol';

interface Status {
  brains: Record<string, { state: string; detail: string }>;
}

const models = path.join(repoRoot, 'models');
const settings = { completion: { maxContextTokens: 2048 }, memory: { budget: 0.25 } };

/** A Python file of ~3000 tokens: functions with comments and blank lines, the cursor near its end. */
function longPython(): { text: string; line: number } {
  const parts: string[] = [];
  for (let i = 0; i < 60; i++) {
    parts.push(
      `# helper ${i}: scales the values by ${i} and drops the negative ones`,
      `def helper_${i}(values):`,
      `    out = []`,
      `    for v in values:`,
      `        if v * ${i} >= 0:`,
      `            out.append(v * ${i})`,
      `    return out`,
      '',
    );
  }
  parts.push('def total(values):', '    result = 0', '    for v in values:', '');
  return { text: parts.join('\n') + '\n    return result\n', line: parts.length - 1 };
}

/** models/ with `scorer` replaced (or removed), every other file linked. */
function modelsWithScorer(scorer: string | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-models-'));
  for (const f of readdirSync(models)) if (f !== 'manifest.json' && f !== 'memory-scorer.json') symlinkSync(path.join(models, f), path.join(dir, f));
  const manifest = JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8'));
  if (scorer !== null) {
    writeFileSync(path.join(dir, 'memory-scorer.json'), scorer);
    manifest.brains.memory.files.scorer.sha256 = createHash('sha256').update(scorer).digest('hex');
    manifest.brains.memory.files.scorer.bytes = Buffer.byteLength(scorer);
  }
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

async function completeLong(modelsDir: string) {
  const server = startServer({ NANOMIND_MODELS_DIR: modelsDir });
  await server.initialize({ settings });
  const uri = 'file:///work/long.py';
  const { text, line } = longPython();
  await server.open(uri, 'python', text);
  const position = { line, character: 8 };
  const items = await withTimeout(
    server.request<unknown[]>('textDocument/inlineCompletion', { textDocument: { uri }, position, context: { triggerKind: 1 } }),
    120_000,
  );
  return { server, uri, items, position };
}

describe('memory brain over the protocol (shipped models)', () => {
  it('the hover reports the memory the last completion used; the memory map returns its dropped ranges', async () => {
    const { server, uri, items, position } = await completeLong(models);
    try {
      assert.ok(Array.isArray(items));
      const status = await server.request<Status>('nanomind/status');
      assert.equal(status.brains.memory.state, 'ready', status.brains.memory.detail);
      const map = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position });
      assert.equal(map.unavailable, undefined);
      assert.ok(map.tokensRead! > 1500, `the long context is read: ${map.tokensRead}`);
      assert.ok(map.tokensKept! <= Math.floor(0.25 * map.tokensRead!), `the budget holds: ${map.tokensKept} of ${map.tokensRead}`);
      assert.ok(map.droppedRanges.length > 0);
      const dropped = map.dropped.comment + map.dropped.whitespace + map.dropped.code;
      assert.equal(dropped, map.tokensRead! - map.tokensKept!, 'every dropped token is classified once');
      assert.ok(map.lastCompletionMs !== null && map.lastCompletionMs > 0);
      // The cursor line's typed text sits on the canvas, not in memory; the line above is among the nearest lines.
      assert.equal(map.line, 'not-read');
      const above = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position: { line: position.line - 1, character: 0 } });
      assert.equal(above.line, 'kept', 'the nearest lines are always kept');
      const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 0 } });
      const m =
        /kept (\d+) of (\d+) context tokens \((\d+\.\d)% saved\) · dropped (\d+) comment, (\d+) whitespace, (\d+) code tokens · last completion (\d+) ms/.exec(
          hover.contents.value,
        );
      assert.ok(m, hover.contents.value);
      assert.deepEqual(m.slice(1, 3).map(Number), [map.tokensKept, map.tokensRead]);
      assert.deepEqual(m.slice(4, 7).map(Number), [map.dropped.comment, map.dropped.whitespace, map.dropped.code]);
      assert.match(hover.contents.value, / · budget 25% of the context, nearest lines always kept\.$/);
      assert.equal(hover.contents.value.split('\n').length, 1, 'one line');
      for (const r of map.droppedRanges) assert.ok(r.start.line <= r.end.line && r.end.line <= position.line + 3);

      // The dropped ranges are what the per-line report calls dropped: a line they cover whole was dropped, and
      // the nearest lines, always kept, are in none.
      const lines = longPython().text.split('\n');
      const covered = (line: number) =>
        map.droppedRanges.some(
          (r) =>
            (r.start.line < line || (r.start.line === line && r.start.character === 0)) &&
            (r.end.line > line || (r.end.line === line && r.end.character >= lines[line].length)),
        );
      const whole = lines.findIndex((l, i) => l.trim() !== '' && covered(i));
      assert.ok(whole >= 0, 'some non-blank line is dropped whole');
      const there = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position: { line: whole, character: 0 } });
      assert.equal(there.line, 'dropped', `line ${whole} (${JSON.stringify(lines[whole])}) lies inside the dropped ranges`);
      const hoverThere = await server.request<{ contents: { value: string } }>('textDocument/hover', {
        textDocument: { uri },
        position: { line: whole, character: 0 },
      });
      assert.match(hoverThere.contents.value, / · this line was dropped · /);
      assert.ok(!covered(position.line - 1), 'the line above the cursor, always kept, is not in the dropped ranges');
    } finally {
      await server.stop();
    }
  });

  it('the hover times the last completion with the full context, once, and the map reports it', async () => {
    const { server, uri, position } = await completeLong(models);
    try {
      const before = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position });
      assert.equal(before.fullContextMs, null, 'the memory map alone does not measure');
      assert.equal(before.msSaved, null);
      const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position });
      const after = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position });
      assert.ok(after.fullContextMs !== null && after.fullContextMs > 0, `a full-context time: ${after.fullContextMs}`);
      assert.equal(after.lastCompletionMs, before.lastCompletionMs, "the measurement is not the editor's completion");
      assert.equal(after.msSaved, after.fullContextMs - after.lastCompletionMs!);
      assert.equal(after.tokensKept, before.tokensKept, "the document's memory is left as it was");
      assert.deepEqual(after.droppedRanges, before.droppedRanges);
      const m = /last completion (\d+) ms \((\d+) ms with the full context\)/.exec(hover.contents.value);
      assert.ok(m, hover.contents.value);
      assert.deepEqual(m.slice(1, 3).map(Number), [Math.round(after.lastCompletionMs!), Math.round(after.fullContextMs)]);
      // Cached for this completion: a second hover shows the same figure.
      const again = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position });
      assert.match(again.contents.value, new RegExp(`\\(${Math.round(after.fullContextMs)} ms with the full context\\)`));
    } finally {
      await server.stop();
    }
  });

  it('before any completion the memory map says nothing was measured', async () => {
    const server = startServer({ NANOMIND_MODELS_DIR: models });
    try {
      await server.initialize({ settings });
      const uri = 'file:///work/fresh.py';
      await server.open(uri, 'python', longPython().text);
      const map = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position: { line: 3, character: 0 } });
      assert.equal(map.line, 'not-measured');
      assert.equal(map.lastCompletionMs, null);
      assert.deepEqual(map.droppedRanges, []);
      assert.equal(map.fullContextMs, null);
      const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 0 } });
      assert.match(hover.contents.value, /no completion since the last edit/);
      assert.doesNotMatch(hover.contents.value, /full context/);
    } finally {
      await server.stop();
    }
  });

  for (const [what, scorer, state] of [
    ['a corrupt scorer', '{"format": "nanomind-namm-scorer-1", "theta": "not numbers"}', 'corrupt'],
    ['a missing scorer', null, 'not-installed'],
  ] as const) {
    it(`${what} turns only the memory brain off; completion keeps working`, async () => {
      const dir = modelsWithScorer(scorer);
      if (scorer === null) {
        const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
        assert.ok(manifest.brains.memory.files.scorer, 'the manifest still lists the scorer, whose file is gone');
      }
      const { server, uri, items, position } = await completeLong(dir);
      try {
        assert.ok(Array.isArray(items));
        const status = await server.request<Status>('nanomind/status');
        assert.equal(status.brains.memory.state, state, status.brains.memory.detail);
        assert.match(status.brains.memory.detail, /memory-scorer\.json/);
        assert.equal(status.brains.completion.state, 'ready');
        const map = await server.request<MemoryReport>('nanomind/memoryMap', { uri, position });
        assert.equal(map.tokensKept, map.tokensRead, 'nothing is dropped with the brain off');
        assert.match(map.unavailable ?? '', /memory-scorer\.json/);
        // Nothing was evicted: there is no second time to measure.
        const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position });
        assert.doesNotMatch(hover.contents.value, /full context/, hover.contents.value);
        assert.equal((await server.request<MemoryReport>('nanomind/memoryMap', { uri, position })).fullContextMs, null);
      } finally {
        await server.stop();
      }
    });
  }
});
