/**
 * The generation owner at its own boundary (runInDurableObject, as the ledgers are tested): joins
 * coalesce on one upstream call, an ended generation is a cache hit, a failure reaches every
 * waiter and is told by `failureOf`, and a starter that cannot pay starts nothing.
 */
import { describe, expect, it } from 'vitest'
import { errorReply, imageStreamFrames } from '../fakes/upstream'
import { fakeUpstream } from '../helpers/gateway'
import { failureOf, joinAndRead, joinOf, joinTogether, keyWith } from '../helpers/owner'

const [partialFrame] = imageStreamFrames(1)

describe('the generation owner', () => {
  it('starts one generation for joins in the same turn, and answers each the same', async () => {
    const fake = fakeUpstream()
    const join = await joinOf('a lantern, owned', null)
    const joined = await joinAndRead([join, join, join])
    expect(fake.calls).toHaveLength(1)
    expect(joined.map(({ result }) => result.kind)).toEqual(['answer', 'answer', 'answer'])
    const ids = joined.map(({ result }) => (result.kind === 'answer' ? result.generationId : null))
    expect(new Set(ids).size).toBe(1)
    const texts = joined.map(({ text }) => text)
    expect(JSON.parse(texts[0] ?? '{}').data).toHaveLength(1)
    expect(texts).toEqual([texts[0], texts[0], texts[0]])
  })

  it('answers a join after the generation ended as cached, without calling the upstream', async () => {
    const fake = fakeUpstream()
    const join = await joinOf('a lantern, kept', null)
    expect((await joinTogether([join])).map((result) => result.kind)).toEqual(['answer'])
    expect(await joinTogether([join, join])).toEqual([{ kind: 'cached' }, { kind: 'cached' }])
    expect(fake.calls).toHaveLength(1)
  })

  it('generates again for a join that replaces the cached result', async () => {
    const fake = fakeUpstream()
    const join = await joinOf('a lantern, redone', null)
    await joinTogether([join])
    const [again] = await joinTogether([{ ...join, replace: true }])
    expect(again?.kind).toBe('answer')
    expect(fake.calls).toHaveLength(2)
  })

  it('fails every waiter at once when the upstream fails, and the next join starts afresh', async () => {
    const fake = fakeUpstream().reply(errorReply(500, {}), errorReply(500, {}))
    const join = await joinOf('a lantern, broken', null)
    const results = await joinTogether([join, join])
    expect(results).toHaveLength(2)
    for (const result of results) {
      expect(result).toMatchObject({ kind: 'failed', failure: { kind: 'upstream_unavailable' } })
    }
    expect(fake.calls).toHaveLength(2) // one attempt and its retry, shared by both
    expect((await joinTogether([join])).map((result) => result.kind)).toEqual(['answer'])
    expect(fake.calls).toHaveLength(3)
  })

  it('tells how a generation ended by its id: its failure once it broke off mid-answer', async () => {
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partialFrame as string],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const join = await joinOf('a lantern, cut off', null, 'sse')
    const [streamed] = await joinAndRead([join])
    if (streamed?.result.kind !== 'answer') throw new Error('a stream is answered before its end')
    expect(streamed.text).toContain('event: error')
    expect(await failureOf(join.key, streamed.result.generationId)).toEqual({
      kind: 'upstream_unavailable',
      cause: 'interrupted',
    })
  })

  it('tells null for a generation that succeeded, and for one it never ran', async () => {
    fakeUpstream()
    const join = await joinOf('a lantern, fine', null)
    const [done] = await joinTogether([join])
    if (done?.kind !== 'answer') throw new Error('the generation answered')
    expect(await failureOf(join.key, done.generationId)).toBeNull()
    expect(await failureOf(join.key, 'no-such-generation')).toBeNull()
  })

  it('refuses a starter that cannot pay alone: nothing starts, and the next join starts afresh', async () => {
    const fake = fakeUpstream()
    const poor = await keyWith(0)
    const [refused] = await joinTogether([await joinOf('a lantern, unpaid', poor.principal)])
    expect(refused).toMatchObject({
      kind: 'failed',
      failure: { kind: 'forbidden', code: 'insufficient_balance' },
    })
    expect(fake.calls).toEqual([])
    const [free] = await joinTogether([await joinOf('a lantern, unpaid', null)])
    expect(free?.kind).toBe('answer')
    expect(fake.calls).toHaveLength(1)
  })
})
