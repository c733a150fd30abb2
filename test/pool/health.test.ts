/**
 * One upstream's state machine on a hand-driven clock: capacity by the sliding minute (and
 * Azure's 10 s share), cool-downs after 429s, learning a rate, the circuit's open, half-open
 * (one probe) and closed states, and disablement with its way back.
 */
import { describe, expect, it } from 'vitest'
import { admit, availability, disable, enable, phaseOf, settle } from '../../src/pool/health'
import {
  DEFAULT_POLICY,
  freshHealth,
  type Outcome,
  type UpstreamHealth,
} from '../../src/pool/health-state'
import { countIn, fitsAt, MINUTE_MS, record } from '../../src/pool/window'
import type { CapacitySpec } from '../../src/pool-config/entry'

const T0 = 1_800_000_000_000 // a whole second
const policy = DEFAULT_POLICY
const spec = (
  imagesPerMinute: number | null,
  imagesPer10s: number | null = null,
): CapacitySpec => ({
  name: 'u',
  weight: 1,
  imagesPerMinute,
  imagesPer10s,
})

let tickets = 0
/** Admits if it can at `now`; the grant, or null. */
function take(h: UpstreamHealth, s: CapacitySpec, now: number, images = 1) {
  const { at, probe } = availability(h, s, images, now, policy)
  if (at !== now) return null
  const grant = { ticket: `t${++tickets}`, images, probe }
  admit(h, images, now, grant.ticket, probe, policy)
  return grant
}

function fail(h: UpstreamHealth, s: CapacitySpec, now: number, outcome: Outcome) {
  const grant = take(h, s, now)
  if (!grant) throw new Error('not admitted')
  settle(h, s, grant, outcome, now, policy)
}

describe('the sliding window', () => {
  it('counts whole seconds for a minute, and says when room frees', () => {
    const window: [number, number][] = []
    record(window, T0 + 200, 3)
    record(window, T0 + 900, 1)
    record(window, T0 + 5_000, 2)
    expect(window).toEqual([
      [T0 / 1000, 4],
      [T0 / 1000 + 5, 2],
    ])
    expect(countIn(window, T0 + MINUTE_MS + 999, MINUTE_MS)).toBe(6)
    expect(countIn(window, T0 + MINUTE_MS + 1000, MINUTE_MS)).toBe(2)
    expect(fitsAt(window, T0 + 6_000, MINUTE_MS, 6, 1)).toBe(T0 + 1000 + MINUTE_MS)
    expect(fitsAt(window, T0 + 6_000, MINUTE_MS, 6, 5)).toBe(T0 + 6000 + MINUTE_MS)
    expect(fitsAt(window, T0 + 6_000, MINUTE_MS, 6, 7)).toBeNull()
  })

  it('holds at most 61 buckets whatever the traffic', () => {
    const window: [number, number][] = []
    for (let t = 0; t < 200_000; t += 250) record(window, T0 + t, 1)
    expect(window.length).toBeLessThanOrEqual(61)
  })
})

describe('capacity', () => {
  it('admits the declared images a minute, then waits for the oldest second to leave', () => {
    const h = freshHealth()
    for (let i = 0; i < 5; i++) expect(take(h, spec(5), T0 + i * 100)).not.toBeNull()
    expect(take(h, spec(5), T0 + 30_000)).toBeNull()
    expect(availability(h, spec(5), 1, T0 + 30_000, policy).at).toBe(T0 + 1000 + MINUTE_MS)
    expect(take(h, spec(5), T0 + 1000 + MINUTE_MS)).not.toBeNull()
  })

  it('Azure: a sixth of the minute per 10 s; a larger request goes alone in its 10 s', () => {
    const h = freshHealth()
    const azure = spec(12, 2)
    expect(take(h, azure, T0)).not.toBeNull()
    expect(take(h, azure, T0 + 10)).not.toBeNull()
    expect(take(h, azure, T0 + 20)).toBeNull()
    expect(availability(h, azure, 1, T0 + 20, policy).at).toBe(T0 + 11_000)
    expect(take(h, azure, T0 + 5_000, 4)).toBeNull()
    expect(availability(h, azure, 4, T0 + 5_000, policy).at).toBe(T0 + 11_000)
    expect(take(h, azure, T0 + 11_000, 4)).not.toBeNull()
    expect(availability(h, azure, 1, T0 + 11_001, policy).at).toBe(T0 + 22_000)
  })
})

describe('429s', () => {
  it('cools down for retry-after, then is healthy again', () => {
    const h = freshHealth()
    fail(h, spec(10), T0, { kind: 'rate_limited', retryAfterMs: 4_000 })
    expect(phaseOf(h, T0 + 3_999)).toBe('cooling_down')
    expect(availability(h, spec(10), 1, T0, policy).at).toBe(T0 + 4_000)
    expect(phaseOf(h, T0 + 4_000)).toBe('healthy')
    expect(h.lastError).toEqual({ category: 'rate_limited', at: T0 })
  })

  it('without a figure, backs off 1 s, 2 s, 4 s … up to a minute', () => {
    const h = freshHealth()
    const waits: number[] = []
    let now = T0
    for (let i = 0; i < 8; i++) {
      fail(h, spec(10), now, { kind: 'rate_limited', retryAfterMs: null })
      waits.push(h.cooldownUntil - now)
      now = h.cooldownUntil
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
  })

  it('learns a rate when none is declared, and raises it a minute at a time', () => {
    const h = freshHealth()
    for (let i = 0; i < 7; i++) take(h, spec(null), T0)
    fail(h, spec(null), T0 + 10, { kind: 'rate_limited', retryAfterMs: 0 })
    expect(h.learnedPerMinute).toBe(7)
    expect(take(h, spec(null), T0 + 20)).toBeNull()
    const later = T0 + 2 * MINUTE_MS
    const grant = take(h, spec(null), later)
    settle(h, spec(null), grant as never, { kind: 'answered' }, later, policy)
    expect(h.learnedPerMinute).toBe(8)
    // A declared figure is never overridden.
    const declared = freshHealth()
    fail(declared, spec(3), T0, { kind: 'rate_limited', retryAfterMs: 0 })
    expect(declared.learnedPerMinute).toBeNull()
  })
})

describe('the circuit', () => {
  const network: Outcome = { kind: 'failed', cause: 'network' }

  function opened(): UpstreamHealth {
    const h = freshHealth()
    for (let i = 0; i < 4; i++) fail(h, spec(null), T0, network)
    expect(phaseOf(h, T0)).toBe('healthy')
    fail(h, spec(null), T0, network)
    expect(phaseOf(h, T0)).toBe('open')
    return h
  }

  it('opens after five failures in a row; a success in between resets the count', () => {
    const h = freshHealth()
    for (let i = 0; i < 4; i++) fail(h, spec(null), T0, network)
    fail(h, spec(null), T0, { kind: 'answered' })
    for (let i = 0; i < 4; i++) fail(h, spec(null), T0, network)
    expect(phaseOf(h, T0)).toBe('healthy')
    opened()
  })

  it('half-opens after the pause with exactly one probe; its success closes it', () => {
    const h = opened()
    expect(availability(h, spec(null), 1, T0 + 1, policy).at).toBe(T0 + 30_000)
    const probe = take(h, spec(null), T0 + 30_000)
    expect(probe).toMatchObject({ probe: true })
    expect(phaseOf(h, T0 + 30_000)).toBe('half_open')
    expect(take(h, spec(null), T0 + 30_001)).toBeNull()
    settle(h, spec(null), probe as never, { kind: 'answered' }, T0 + 31_000, policy)
    expect(phaseOf(h, T0 + 31_000)).toBe('healthy')
    expect(take(h, spec(null), T0 + 31_000)).toMatchObject({ probe: false })
  })

  it('a failed probe reopens it for twice as long; a stale report moves nothing', () => {
    const h = opened()
    const first = take(h, spec(null), T0 + 30_000)
    settle(h, spec(null), first as never, network, T0 + 31_000, policy)
    expect(phaseOf(h, T0 + 31_000)).toBe('open')
    expect(h.openUntil).toBe(T0 + 31_000 + 60_000)
    const second = take(h, spec(null), T0 + 91_000)
    settle(h, spec(null), first as never, { kind: 'answered' }, T0 + 91_500, policy)
    expect(phaseOf(h, T0 + 91_500)).toBe('half_open')
    settle(h, spec(null), second as never, { kind: 'answered' }, T0 + 92_000, policy)
    expect(phaseOf(h, T0 + 92_000)).toBe('healthy')
  })

  it('a probe whose outcome never comes is given up after its lease; an abandoned one at once', () => {
    const h = opened()
    take(h, spec(null), T0 + 30_000)
    expect(take(h, spec(null), T0 + 30_000 + policy.probeLeaseMs - 1)).toBeNull()
    const next = take(h, spec(null), T0 + 30_000 + policy.probeLeaseMs)
    expect(next).toMatchObject({ probe: true })
    settle(h, spec(null), next as never, { kind: 'abandoned' }, T0 + 700_000, policy)
    expect(take(h, spec(null), T0 + 700_000)).toMatchObject({ probe: true })
  })

  it('a 429 from the probe closes the circuit and cools down', () => {
    const h = opened()
    const probe = take(h, spec(null), T0 + 30_000)
    settle(
      h,
      spec(null),
      probe as never,
      { kind: 'rate_limited', retryAfterMs: 5_000 },
      T0 + 30_000,
      policy,
    )
    expect(phaseOf(h, T0 + 30_000)).toBe('cooling_down')
    expect(phaseOf(h, T0 + 35_000)).toBe('healthy')
  })
})

describe('disabled', () => {
  it('a rejected key takes it out for the policy’s time, then one probe brings it back', () => {
    const h = freshHealth()
    fail(h, spec(null), T0, { kind: 'credentials_rejected' })
    expect(phaseOf(h, T0 + (policy.disableMs as number) - 1)).toBe('disabled')
    expect(h.lastError).toEqual({ category: 'credentials_rejected', at: T0 })
    const back = T0 + (policy.disableMs as number)
    expect(phaseOf(h, back)).toBe('half_open')
    const probe = take(h, spec(null), back)
    expect(probe).toMatchObject({ probe: true })
    settle(h, spec(null), probe as never, { kind: 'answered' }, back, policy)
    expect(phaseOf(h, back)).toBe('healthy')
  })

  it('until an operator acts: never available, until enabled', () => {
    const h = freshHealth()
    disable(h, null)
    expect(availability(h, spec(null), 1, T0 + 10 * 86_400_000, policy).at).toBeNull()
    enable(h)
    expect(phaseOf(h, T0)).toBe('healthy')
    const quota = freshHealth()
    settle(
      quota,
      spec(null),
      { ticket: 'x', images: 1, probe: false },
      { kind: 'quota_exhausted' },
      T0,
      {
        ...policy,
        disableMs: null,
      },
    )
    expect(phaseOf(quota, T0 + 86_400_000)).toBe('disabled')
  })
})
