// Eviction policies for the per-document memory: the NAMM scorer (the product) and the scoring the benchmark
// compares it with. Each gives every live token a score; the keep rules (keep.ts) do the rest.
import type { EvictionPolicy, LiveTokens } from './documentMemory';
import type { Scorer } from './scorer';

/** The memory brain: the evolved scorer on attention features; `budget` caps the kept share (1: no cap). */
export function nammPolicy(scorer: Scorer, budget: number): EvictionPolicy {
  return { key: `namm:${budget}`, budget, score: (live: LiveTokens) => scorer.score(live.features, live.count) };
}
