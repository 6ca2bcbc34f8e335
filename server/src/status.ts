// Builds the server status the client's status bar shows, and tells the client when it changes.
import type { BrainName, ServerStatus } from './protocol';
import type { ModelRegistry } from './runtime/models';

const brains: BrainName[] = ['completion', 'memory', 'reasoning'];

export class StatusReporter {
  private lastCompletionMs: number | null = null;
  private completionEnabled = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly version: string,
    private readonly registry: ModelRegistry,
    private readonly publish: (status: ServerStatus) => void,
  ) {}

  async current(): Promise<ServerStatus> {
    const entries = await Promise.all(brains.map(async (b) => [b, await this.registry.status(b)] as const));
    return {
      version: this.version,
      pid: process.pid,
      brains: Object.fromEntries(entries) as ServerStatus['brains'],
      lastCompletionMs: this.lastCompletionMs,
      completionEnabled: this.completionEnabled,
    };
  }

  recordCompletion(ms: number): void {
    this.lastCompletionMs = ms;
    this.changed();
  }

  setCompletionEnabled(enabled: boolean): void {
    if (enabled === this.completionEnabled) return;
    this.completionEnabled = enabled;
    this.changed();
  }

  /** Coalesces bursts of changes (a typing burst, several brains failing) into one notification. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.current().then(this.publish, () => undefined);
    }, 50);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
