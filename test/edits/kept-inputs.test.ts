/**
 * KEEP_EDIT_INPUTS keeps an edit's pictures only when its own result is stored, and every kept
 * picture is listed in that result's manifest: refused, failed, incomplete, cached and joining
 * edits keep nothing.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Manifest } from '../../src/cache/store'
import { errorReply, gate, successBody } from '../fakes/upstream'
import { file, form, jpeg, png, postEdit } from '../helpers/edits'
import { ENVS, fakeUpstream, joined, settled } from '../helpers/gateway'
import { env as adminEnv, createKey, errorOf } from '../helpers/keys'
import { storedKeys } from '../helpers/r2'

const KEEP = { ...ENVS.remote, KEEP_EDIT_INPUTS: 'true' }
const prompt = 'a harbour at dawn, kept'

/** The same edit of three pictures (two images and a mask) each time. */
const edit = (extra: [string, string][] = []) =>
  form([
    ['image[]', file(png(16, 16), 'a.png')],
    ['image[]', file(jpeg(16, 16), 'b.jpg')],
    ['mask', file(png(16, 16, true), 'm.png')],
    ['prompt', prompt],
    ...extra,
  ])

/** What is under inputs/, once every request has settled, and what the manifests list. */
async function inputsAndListed(): Promise<{ stored: string[]; listed: string[] }> {
  await settled()
  const manifests = await Promise.all(
    (await storedKeys('manifests/')).map(
      async (key) => (await (await env.IMAGES.get(key))?.json()) as Manifest,
    ),
  )
  const listed = manifests.flatMap((manifest) => manifest.inputs ?? []).sort()
  return { stored: await storedKeys('inputs/'), listed }
}

describe('KEEP_EDIT_INPUTS=true', () => {
  it('keeps the pictures of a stored result, listed in its manifest', async () => {
    fakeUpstream()
    expect((await postEdit(edit(), { env: KEEP })).status).toBe(200)
    const { stored, listed } = await inputsAndListed()
    expect(stored).toHaveLength(3)
    expect(stored).toEqual(listed)
  })

  it('keeps nothing of an edit the upstream fails', async () => {
    const failure = errorReply(500, { message: 'boom', type: 'server_error' })
    fakeUpstream().reply(failure, failure)
    const res = await postEdit(edit(), { env: KEEP })
    expect(res.status).toBe(500)
    await res.arrayBuffer()
    expect(await inputsAndListed()).toEqual({ stored: [], listed: [] })
  })

  it('keeps nothing of an incomplete result (fewer images than asked for: never stored)', async () => {
    fakeUpstream().reply({ kind: 'json', status: 200, body: successBody({ n: 1 }) })
    const res = await postEdit(edit([['n', '2']]), { env: KEEP })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect(await inputsAndListed()).toEqual({ stored: [], listed: [] })
  })

  it('keeps nothing of a cache hit, nor of an edit that joined a running one', async () => {
    const release = gate()
    fakeUpstream().reply({ kind: 'held', until: release.opened, reply: { kind: 'success' } })
    const answering = Promise.all([
      postEdit(edit(), { env: KEEP }),
      postEdit(edit(), { env: KEEP }),
    ])
    await joined(2) // the second joined the first
    release.open()
    const both = await answering
    for (const res of both) await res.arrayBuffer()
    const hit = await postEdit(edit(), { env: KEEP })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    await hit.arrayBuffer()
    const { stored, listed } = await inputsAndListed()
    expect(stored).toHaveLength(3)
    expect(stored).toEqual(listed)
  })

  it('keeps nothing of an edit refused for its balance', async () => {
    const fake = fakeUpstream()
    const e = { ...adminEnv, KEEP_EDIT_INPUTS: 'true' }
    const { key } = await createKey({ name: 'poor', kind: 'secret', balance_usd: 0 }, e)
    const res = await postEdit(edit(), { env: e, headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('insufficient_balance')
    expect(fake.calls).toHaveLength(0)
    expect(await inputsAndListed()).toEqual({ stored: [], listed: [] })
  })
})
