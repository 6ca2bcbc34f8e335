// One tokenizer per server, built from the sha256-checked models/tokenizer.json on first use and
// shared by the completion and memory brains. A failure is reported through the registry, which
// disables the brains that need it, and is retried after a registry reset. A file whose sha256 matches
// but that is not a usable tokenizer is recorded too: the completion brain cannot run without it.
import type { ModelRegistry } from './models';
import { startupTimings } from './startupTimings';
import { CodeTokenizer } from './tokenizer';

const cache = new WeakMap<ModelRegistry, Promise<CodeTokenizer>>();

export function sharedTokenizer(registry: ModelRegistry): Promise<CodeTokenizer> {
  let pending = cache.get(registry);
  if (!pending) {
    pending = registry.fileBytes('completion', 'tokenizer').then((bytes) =>
      startupTimings.time('tokenizer', () => {
        try {
          return CodeTokenizer.fromText(new TextDecoder().decode(bytes), 'models/tokenizer.json');
        } catch (e) {
          throw registry.markFailed('completion', { state: 'corrupt', detail: e instanceof Error ? e.message : String(e) }, 'tokenizer');
        }
      }),
    );
    cache.set(registry, pending);
    pending.catch(() => cache.delete(registry));
  }
  return pending;
}
