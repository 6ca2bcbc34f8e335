// Counts tokens of a JSONL sample ({lang, text} per line) with the server's tokenizer library
// (@huggingface/tokenizers on models/tokenizer.json, the 12288-id byte-level BPE), no control tokens.
// Usage: node training/data/count_tokens.mjs SAMPLE.jsonl [models/tokenizer.json]
// Prints {lang: {docs, bytes, tokens, bytes_per_token}} as JSON.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

const [sample, tokPath = 'models/tokenizer.json'] = process.argv.slice(2);
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, 'utf8')), {});
const out = {};
for (const line of readFileSync(sample, 'utf8').split('\n')) {
  if (!line) continue;
  const { lang, text } = JSON.parse(line);
  const o = (out[lang] ??= { docs: 0, bytes: 0, tokens: 0 });
  o.docs += 1;
  o.bytes += Buffer.byteLength(text, 'utf8');
  o.tokens += tok.encode(text, { add_special_tokens: false }).ids.length;
}
for (const o of Object.values(out)) o.bytes_per_token = o.bytes / o.tokens;
console.log(JSON.stringify(out));
