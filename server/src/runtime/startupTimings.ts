// What the server did between its start and its first suggestion, and when: the breakdown that
// bench/first-suggestion.ts reports, the status carries (`startup`) and the log shows in one line. Times are
// ms since the process started (Node's performance.now()). Recording stops at the first answered
// inline-completion request, so later work (a puzzle model hashed on first use) does not stretch the spans.

import { startupSteps, type StartupBreakdown, type StartupSpan, type StartupStep } from '../protocol';

export class StartupTimings {
  private readonly spans = new Map<StartupStep, StartupSpan>();
  private done = false;
  private answered = () => {};
  /** Resolves when the first suggestion has been answered: work that can wait, waits for it. */
  readonly firstAnswer = new Promise<void>((resolve) => (this.answered = resolve));

  /** Runs `work` and records its time as a piece of `step` (until the first suggestion was answered). */
  async time<T>(step: StartupStep, work: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.record(step, start, performance.now());
    }
  }

  record(step: StartupStep, startMs: number, endMs: number): void {
    if (this.done) return;
    const span = this.spans.get(step);
    this.spans.set(
      step,
      span ? { startMs: Math.min(span.startMs, startMs), endMs: Math.max(span.endMs, endMs), count: span.count + 1 } : { startMs, endMs, count: 1 },
    );
  }

  /** The first inline-completion request was answered (started at `startMs`): recording ends. Returns false after the first call. */
  finish(startMs: number): boolean {
    if (this.done) return false;
    this.record('firstRequest', startMs, performance.now());
    this.done = true;
    this.answered();
    return true;
  }

  snapshot(): StartupBreakdown {
    return Object.fromEntries([...this.spans].map(([step, s]) => [step, { startMs: Math.round(s.startMs), endMs: Math.round(s.endMs), count: s.count }]));
  }

  /** One line for the log: "verify 120-180 ms (4), tokenizer ...". */
  describe(): string {
    const s = this.snapshot();
    return startupSteps
      .filter((step) => s[step])
      .map((step) => `${step} ${s[step]!.startMs}-${s[step]!.endMs} ms${s[step]!.count > 1 ? ` (${s[step]!.count})` : ''}`)
      .join(', ');
  }
}

/** The server's one recorder: start-up happens once per process. */
export const startupTimings = new StartupTimings();
