// Plain words for a brain's state, shared by the status bar and its tooltip. Kept free of `vscode` so a
// unit test can check the wording (test/unit/brainText.test.ts).
import type { BrainName, BrainStatus } from '../../server/src/protocol';

/**
 * Why a brain cannot run, in a user's words; undefined when it is ready. The memory brain ships without a
 * model in this version: that is "not trained yet", not a broken install.
 */
export function brainProblem(brain: BrainName, s: BrainStatus): string | undefined {
  if (s.state === 'ready') return undefined;
  if (brain === 'memory' && s.state === 'not-installed' && /no memory model in/.test(s.detail)) return 'not trained yet';
  return s.detail;
}

/**
 * The status tooltip's line for a brain: why it cannot run, or "ready" with any part of it that is off (the
 * reasoning brain stays ready when its second maze model is missing or damaged, and the server's detail says
 * "mazeConv off: <why>").
 */
export function brainLine(brain: BrainName, s: BrainStatus): string {
  const problem = brainProblem(brain, s);
  if (problem !== undefined) return problem;
  const off = s.detail.split('; ').filter((part) => /^\w+ off: /.test(part));
  return off.length ? `ready (${off.join('; ')})` : 'ready';
}

/** The short label the status bar shows for a completion brain that cannot run. */
export function completionProblemLabel(s: BrainStatus): string | undefined {
  switch (s.state) {
    case 'ready':
      return undefined;
    case 'not-installed':
      return 'no completion model';
    case 'corrupt':
      return 'completion model damaged';
    case 'error':
      return 'completion failed';
  }
}

/** "212 ms" for a measured request time. */
export function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}
