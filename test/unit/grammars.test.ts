import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// The grammars only use regex syntax that Oniguruma and JavaScript read the same way (character
// classes, +, escapes), so compiling them as JavaScript regexes and running a small first-match
// tokenizer over sample lines checks them without a TextMate engine.

interface Rule {
  match?: string;
  name?: string;
  include?: string;
}

interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const syntaxes = join(__dirname, '..', '..', 'syntaxes');

function loadGrammar(file: string): Grammar {
  return JSON.parse(readFileSync(join(syntaxes, file), 'utf8')) as Grammar;
}

/** The top-level patterns, includes resolved, in order. */
function rules(grammar: Grammar): Array<{ regex: RegExp; name: string }> {
  return grammar.patterns.map((pattern) => {
    const rule = pattern.include ? grammar.repository[pattern.include.replace(/^#/, '')] : pattern;
    assert.ok(rule, `include ${pattern.include} names a repository entry`);
    assert.ok(rule.match && rule.name, 'every rule is a simple match with a scope name');
    return { regex: new RegExp(rule.match, 'y'), name: rule.name };
  });
}

/** Scope of each character of the line ('' where no rule matches), first matching rule wins. */
function scopes(grammar: Grammar, line: string): string[] {
  const compiled = rules(grammar);
  const result: string[] = [];
  let at = 0;
  while (at < line.length) {
    const hit = compiled
      .map(({ regex, name }) => {
        regex.lastIndex = at;
        const match = regex.exec(line);
        return match && match[0].length > 0 ? { length: match[0].length, name } : undefined;
      })
      .find((found) => found !== undefined);
    const length = hit?.length ?? 1;
    for (let k = 0; k < length; k++) result.push(hit?.name ?? '');
    at += length;
  }
  return result;
}

describe('grammars', () => {
  for (const [file, scopeName] of [
    ['sudoku.tmLanguage.json', 'source.sudoku'],
    ['maze.tmLanguage.json', 'source.maze'],
  ]) {
    it(`${file} is valid JSON with compiling patterns`, () => {
      const grammar = loadGrammar(file);
      assert.equal(grammar.scopeName, scopeName);
      for (const rule of Object.values(grammar.repository)) {
        assert.doesNotThrow(() => new RegExp(rule.match!, 'u'), rule.match);
        // Stay in the subset both engines agree on: no lookbehind, named groups or \p{} classes.
        assert.doesNotMatch(rule.match!, /\(\?<|\\p\{|\\k</);
      }
      assert.equal(rules(grammar).length, grammar.patterns.length);
    });
  }

  for (const file of ['sudoku.language-configuration.json', 'maze.language-configuration.json']) {
    it(`${file} is valid JSON`, () => {
      const configuration = JSON.parse(readFileSync(join(syntaxes, file), 'utf8')) as { wordPattern: string };
      assert.doesNotThrow(() => new RegExp(configuration.wordPattern));
    });
  }

  it('colours Sudoku givens, blanks and separators apart', () => {
    const grammar = loadGrammar('sudoku.tmLanguage.json');
    const line = scopes(grammar, '5 . 0 | 9x');
    assert.equal(line[0], 'constant.numeric.given.sudoku');
    assert.equal(line[1], '');
    assert.equal(line[2], 'comment.blank.sudoku');
    assert.equal(line[4], 'comment.blank.sudoku');
    assert.equal(line[6], 'keyword.operator.separator.sudoku');
    assert.equal(line[8], 'constant.numeric.given.sudoku');
    assert.equal(line[9], 'invalid.illegal.character.sudoku');
    assert.ok(scopes(grammar, '------+-------+------').every((scope) => scope === 'keyword.operator.separator.sudoku'));
  });

  it('colours maze walls, open cells, start, goal and path apart', () => {
    const grammar = loadGrammar('maze.tmLanguage.json');
    const line = scopes(grammar, '#S.oG x');
    assert.deepEqual(line, [
      'keyword.other.wall.maze',
      'entity.name.function.start.maze',
      'comment.open.maze',
      'string.other.path.maze',
      'entity.name.type.goal.maze',
      '',
      'invalid.illegal.character.maze',
    ]);
  });
});
