/**
 * Image views gathered in the isolate: the views of a moment are one write (an upsert per image
 * and day) kept alive by the request that opened the batch, a full batch is written at once.
 */
import { reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_BUFFERED_VIEWS, ViewBuffer } from '../../src/log/view-buffer'
import { gate } from '../fakes/upstream'
import { FILE, T0 } from './rows'

afterEach(async () => {
  vi.restoreAllMocks()
  await reset()
})

const OTHER = `${'ef'.repeat(16)}.webp`

async function counts() {
  const { results } = await env.USAGE.prepare(
    'SELECT image, views FROM image_views ORDER BY image',
  ).all()
  return results
}

describe('the view buffer', () => {
  it('writes the views of one moment together, once the moment has passed', async () => {
    const moment = gate()
    const buffer = new ViewBuffer(() => moment.opened)
    const batch = vi.spyOn(env.USAGE, 'batch')
    const kept: Promise<unknown>[] = []
    for (const image of [FILE, FILE, OTHER, FILE, OTHER])
      buffer.add(env.USAGE, { image, at: T0 }, (work) => kept.push(work))
    expect(kept).toHaveLength(1)
    expect(batch).not.toHaveBeenCalled()
    moment.open()
    await Promise.all(kept)
    expect(batch).toHaveBeenCalledTimes(1)
    expect(await counts()).toEqual([
      { image: FILE, views: 3 },
      { image: OTHER, views: 2 },
    ])
    // The next view opens a new batch.
    const later = gate()
    const next = new ViewBuffer(() => later.opened)
    next.add(env.USAGE, { image: FILE, at: T0 }, (work) => kept.push(work))
    later.open()
    await Promise.all(kept)
    expect(await counts()).toEqual([
      { image: FILE, views: 4 },
      { image: OTHER, views: 2 },
    ])
  })

  it('writes a full batch at once, and nothing without a database', async () => {
    const never = new Promise<void>(() => {})
    const buffer = new ViewBuffer(() => never)
    const kept: Promise<unknown>[] = []
    buffer.add(undefined, { image: FILE, at: T0 }, (work) => kept.push(work))
    expect(kept).toHaveLength(0)
    for (let i = 0; i < MAX_BUFFERED_VIEWS; i++)
      buffer.add(env.USAGE, { image: FILE, at: T0 }, (work) => kept.push(work))
    expect(kept).toHaveLength(2) // the pending moment's, and the full batch's write
    await kept[1]
    expect(await counts()).toEqual([{ image: FILE, views: MAX_BUFFERED_VIEWS }])
  })
})
