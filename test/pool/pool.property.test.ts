/**
 * Properties of the pool under any sequence of acquisitions (waiting or not), outcomes, operator
 * actions and clock steps: no upstream is given more than its images a minute in any 60 s (nor an
 * Azure entry more than its share in any 10 s), a circuit that is not closed admits exactly one
 * probe and nothing else, and weights are honoured.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { phaseOf } from '../../src/pool/health'
import { DEFAULT_POLICY, type Outcome, type UpstreamHealth } from '../../src/pool/health-state'
import { type AcquireResult, type Grant, PoolScheduler } from '../../src/pool/scheduler'
import type { CapacitySpec } from '../../src/pool-config/entry'

const T0 = 1_800_000_000_000
const NAMES = ['a', 'b', 'c']
const policy = { ...DEFAULT_POLICY, failuresToOpen: 2, openMs: 5_000, probeLeaseMs: 40_000 }

const outcome = fc.oneof(
  fc.constant<Outcome>({ kind: 'answered' }),
  fc.constant<Outcome>({ kind: 'failed', cause: 'status' }),
  fc.constant<Outcome>({ kind: 'failed', cause: 'network' }),
  fc.constant<Outcome>({ kind: 'failed', cause: 'timeout' }),
  fc.constant<Outcome>({ kind: 'abandoned' }),
  fc.constant<Outcome>({ kind: 'credentials_rejected' }),
  fc
    .integer({ min: 0, max: 20_000 })
    .map<Outcome>((ms) => ({ kind: 'rate_limited', retryAfterMs: ms })),
  fc.constant<Outcome>({ kind: 'rate_limited', retryAfterMs: null }),
)

const command = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      mask: fc.oneof(fc.constantFrom(1, 2, 4), fc.integer({ min: 1, max: 7 })),
      images: fc.integer({ min: 1, max: 4 }),
      maxWaitMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120_000 })),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('report' as const), pick: fc.nat(), outcome }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('step' as const),
      // Without a pump, waiters are served by the next acquisition or outcome.
      pump: fc.boolean(),
      // Also steps near the windows' edges, where an off-by-a-second would show.
      ms: fc.oneof(
        fc.integer({ min: 0, max: 30_000 }),
        fc.constantFrom(1, 500, 999, 1_000, 5_000, 9_500, 10_000, 20_000, 59_000, 59_500, 60_000),
      ),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('enable' as const), name: fc.constantFrom(...NAMES) }),
    weight: 1,
  },
)

const specs = fc.tuple(
  ...NAMES.map((name) =>
    fc.record({
      name: fc.constant(name),
      weight: fc.integer({ min: 1, max: 5 }),
      imagesPerMinute: fc.integer({ min: 4, max: 12 }),
      imagesPer10s: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    }),
  ),
)

/** [time, images] of each grant per upstream. */
type Admissions = Map<string, [number, number][]>

/** The most images in any window of `span` ending at an admission (that covers every window). */
function overLimit(log: [number, number][], span: number, limit: (images: number) => number) {
  return log.some(([at, images]) => {
    const inside = log.filter(([t]) => t > at - span && t <= at).reduce((sum, [, n]) => sum + n, 0)
    return inside > limit(images)
  })
}

describe('pool properties', () => {
  it('never over capacity, one probe at a time and nothing beside it', () => {
    fc.assert(
      fc.property(
        specs,
        fc.array(command, { minLength: 30, maxLength: 150, size: 'max' }),
        (specList, commands) => {
          const saved = new Map<string, UpstreamHealth>()
          let n = 0
          const pool = new PoolScheduler(
            {
              load: (k) => saved.get(k),
              save: (k, h) => saved.set(k, h),
              forget: (k) => saved.delete(k),
            },
            policy,
            () => `t${++n}`,
          )
          let now = T0
          const admissions: Admissions = new Map(NAMES.map((name) => [name, []]))
          const outstanding: Grant[] = []
          const liveProbes = new Map<string, Grant>()

          const onResult = (result: AcquireResult | null) => {
            if (result?.kind !== 'granted') return
            const { grant } = result
            admissions.get(grant.upstream)?.push([now, grant.images])
            const health = saved.get(grant.upstream) as UpstreamHealth
            const live = liveProbes.get(grant.upstream)
            if (grant.probe) {
              // No other probe still in flight (unreported, within its lease, not superseded).
              expect(live).toBeUndefined()
              liveProbes.set(grant.upstream, grant)
            } else {
              // Beside a probe, or with the circuit not closed, nothing is admitted.
              expect(phaseOf(health, now)).toBe('healthy')
              expect(health.circuit).toBe('closed')
            }
            outstanding.push(grant)
          }

          /** Forgets probes the pool has given up (lease over) or superseded (disabled, enabled). */
          const sync = () => {
            for (const [name, grant] of liveProbes) {
              const probe = saved.get(name)?.probe
              if (!probe || probe.ticket !== grant.ticket || probe.until <= now)
                liveProbes.delete(name)
            }
          }

          for (const c of commands) {
            if (c.kind === 'acquire') {
              const candidates = specList.filter((_, i) => c.mask & (1 << i)) as CapacitySpec[]
              const facts = { candidates, images: c.images, maxWaitMs: c.maxWaitMs }
              onResult(pool.acquire(facts, now, onResult))
            } else if (c.kind === 'report' && outstanding.length > 0) {
              const [grant] = outstanding.splice(c.pick % outstanding.length, 1) as [Grant]
              if (liveProbes.get(grant.upstream) === grant) liveProbes.delete(grant.upstream)
              pool.report(grant, c.outcome, now)
              sync()
            } else if (c.kind === 'step') {
              now += c.ms
              sync()
              if (c.pump) pool.pump(now)
            } else if (c.kind === 'enable') {
              pool.enable(c.name, now)
              sync()
            }
          }

          for (const spec of specList) {
            const log = admissions.get(spec.name) ?? []
            expect(overLimit(log, 60_000, () => spec.imagesPerMinute)).toBe(false)
            const share = spec.imagesPer10s
            if (share !== null)
              expect(overLimit(log, 10_000, (images) => Math.max(share, images))).toBe(false)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('honours weights: each upstream’s share is within one pick of its weight’s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 400 }),
        (weights, picks) => {
          const pool = new PoolScheduler({
            load: () => undefined,
            save: () => {},
            forget: () => {},
          })
          const candidates = weights.map((weight, i) => ({
            name: `u${i}`,
            weight,
            imagesPerMinute: null,
            imagesPer10s: null,
          }))
          const counts = new Map<string, number>()
          for (let i = 0; i < picks; i++) {
            const result = pool.acquire({ candidates, images: 1, maxWaitMs: 0 }, T0 + i)
            if (result?.kind !== 'granted') throw new Error('expected a grant')
            counts.set(result.grant.upstream, (counts.get(result.grant.upstream) ?? 0) + 1)
          }
          const total = weights.reduce((a, b) => a + b, 0)
          for (const [i, weight] of weights.entries()) {
            const share = (picks * weight) / total
            expect(Math.abs((counts.get(`u${i}`) ?? 0) - share)).toBeLessThan(1)
          }
        },
      ),
    )
  })
})
