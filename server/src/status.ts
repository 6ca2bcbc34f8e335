// Builds the server status the client's status bar shows, and tells the client when it changes. Each
// change of a brain's state is also written to the log, with the reason when the brain cannot run.
import type { BrainName, ServerStatus } from './protocol';
import type { ModelRegistry } from './runtime/models';
import { startupTimings } from './runtime/startupTimings';

const brains: BrainName[] = ['completion', 'memory', 'reasoning'];

export class StatusReporter {
  private lastCompletionMs: number | null = null;
  private completionEnabled = true;
  private timer: NodeJS.Timeout | undefined;
  /** The last state and detail logged per brain. */
  private readonly logged = new Map<BrainName, string>();

  constructor(
    private readonly version: string,
    private readonly registry: ModelRegistry,
    private readonly publish: (status: ServerStatus) => void,
    private readonly log: (message: string) => void = () => {},
  ) {}

  async current(): Promise<ServerStatus> {
    const entries = await Promise.all(brains.map(async (b) => [b, await this.registry.status(b)] as const));
    return {
      version: this.version,
      pid: process.pid,
      brains: Object.fromEntries(entries) as ServerStatus['brains'],
      lastCompletionMs: this.lastCompletionMs,
      completionEnabled: this.completionEnabled,
      startup: startupTimings.snapshot(),
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
      this.current().then(
        (s) => {
          this.logChanges(s);
          this.publish(s);
        },
        (e) => this.log(`status could not be computed: ${String(e)}`),
      );
    }, 50);
  }

  private logChanges(s: ServerStatus): void {
    for (const brain of brains) {
      const b = s.brains[brain];
      const line = b.state === 'ready' ? 'ready' : `cannot run (${b.state}): ${b.detail}`;
      if (this.logged.get(brain) === line) continue;
      // A brain that starts ready is not news; every other change is.
      if (b.state !== 'ready' || this.logged.has(brain)) this.log(`${brain}: ${line}`);
      this.logged.set(brain, line);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
