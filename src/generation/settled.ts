/**
 * How a generation ended for work with no client waiting (a batch item, an async job): done
 * (and whether this call started it, and so paid), already cached, failed, or not started.
 */
import type { Failure } from '../failure'
import type { Generation } from './generation'

export type Settled =
  | { kind: 'done'; started: boolean; usage: Record<string, unknown> | null }
  | { kind: 'cached' }
  | { kind: 'failed'; failure: Failure }
  /** Nothing ran for the key and this call might not start a generation. */
  | { kind: 'not_started' }

/** Waits for `generation` to end (its result committed and settled) and says how. */
export async function settledOf(generation: Generation, started: boolean): Promise<Settled> {
  await generation.images().catch(() => null)
  const outcome = generation.outcome
  if (outcome?.kind === 'done') return { kind: 'done', started, usage: outcome.meta.usage ?? null }
  if (outcome?.kind === 'cached') return { kind: 'cached' }
  if (outcome?.kind === 'failed') return { kind: 'failed', failure: outcome.failure }
  return { kind: 'failed', failure: { kind: 'internal' } }
}
