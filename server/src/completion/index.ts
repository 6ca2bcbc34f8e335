// The completion brain's entry point: an inline-completion request in, ghost-text items out.
// The diffusion sampler plugs in here once the completion model ships; until then the brain
// reports why it is off and answers with no items, so the editor simply shows nothing.
import type { CancellationToken, InlineCompletionItem, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { NanomindSettings } from '../protocol';
import type { ModelRegistry } from '../runtime/models';

export interface CompletionOutcome {
  items: InlineCompletionItem[];
  /** Wall time spent in the model, or null when no model ran. */
  modelMs: number | null;
}

export class CompletionBrain {
  constructor(private readonly registry: ModelRegistry) {}

  async complete(
    doc: TextDocument,
    position: Position,
    settings: NanomindSettings['completion'],
    token: CancellationToken,
  ): Promise<CompletionOutcome> {
    const none: CompletionOutcome = { items: [], modelMs: null };
    if (!settings.enabled || !settings.languages.includes(doc.languageId)) return none;
    if (position.line >= doc.lineCount) return none;
    if (token.isCancellationRequested) return none;
    const status = await this.registry.status('completion');
    if (status.state !== 'ready') return none;
    // A manifest entry without the sampler in this server version: load the files so a corrupt one
    // is reported, and answer with nothing rather than a made-up suggestion.
    await this.registry.brainEntry('completion');
    return none;
  }
}
