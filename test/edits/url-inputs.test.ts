/**
 * An edit's https pictures cannot reach inside: every spelling of a private target refused with
 * nothing fetched (the harness fails a test on any other outbound request), redirects judged the
 * same way, one message whatever the target did, a key that may spend, one deadline for all.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { URL_FETCH_TIMEOUT_MS } from '../../src/inputs/fetch-input'
import { FAKE_FILES_URL } from '../fakes/upstream'
import { dataUrl, expectRefused, png, postEdit } from '../helpers/edits'
import { CLIENT_KEY, ENVS, fakeUpstream, gatewayFetch, settled } from '../helpers/gateway'
import { anyCase, insideHost } from '../helpers/hosts'
import { createKey, errorOf, env as keysEnv } from '../helpers/keys'
import { storedKeys } from '../helpers/r2'

const prompt = 'make it blue'
const picture = png()
/** An edit of a data: picture, then one by `url` (so a refusal must also delete the first). */
const edit = (url: string) => ({
  prompt,
  images: [{ image_url: dataUrl(picture) }, { image_url: url }],
})

/** Expects a 400 naming the URL's field, with no upstream call and nothing kept. */
async function expectNothingFetched(res: Response, fake: ReturnType<typeof fakeUpstream>) {
  await expectRefused(res, 'images.1.image_url', 'invalid_image_url')
  await settled()
  expect(fake.fileFetches).toEqual([])
  expect(fake.calls).toHaveLength(0)
  expect(await storedKeys('inputs/')).toEqual([])
}

describe('with no EDIT_IMAGE_URL_HOSTS, only public host names are fetched', () => {
  it.each([
    'https://127.0.0.1:8443/a.png',
    'https://2130706433/a.png',
    'https://0x7f000001/a.png',
    'https://0177.0.0.1/a.png',
    'https://127.1/a.png',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/a.png',
    'https://[::ffff:127.0.0.1]/a.png',
    'https://localhost/a.png',
    'https://localhost./a.png',
    'https://a.localhost/a.png',
    'https://intranet/a.png',
    'https://printer.local/a.png',
    'https://metadata.google.internal/a.png',
    'https://nas.home.arpa/a.png',
    'https://user:pass@files.example.com/a.png',
  ])('refuses %s before fetching anything', async (url) => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    await expectNothingFetched(await postEdit(edit(url)), fake)
  })

  it("refuses the gateway's own host", async () => {
    const fake = fakeUpstream()
    const request = new Request('https://img.example.com/v1/images/edits', {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(edit('https://IMG.example.com./v1/images/embed?prompt=x')),
    })
    await expectNothingFetched(await gatewayFetch(request, ENVS.remote), fake)
  })

  it('follows a redirect only where the URL itself could go: not to loopback', async () => {
    const fake = fakeUpstream().serve(
      '/moved.png',
      new Response(null, { status: 302, headers: { location: 'https://127.0.0.1/secret' } }),
    )
    const res = await postEdit(edit(`${FAKE_FILES_URL}/moved.png`))
    await expectRefused(res.clone(), 'images.1.image_url', 'invalid_image_url')
    expect((await errorOf(res)).message).toContain('could not be fetched')
    await settled()
    expect(fake.fileFetches).toEqual([`${FAKE_FILES_URL}/moved.png`])
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
})

/** Makes fetches of `url` fail as a lost connection would (after the harness's fake is installed). */
function failFetchesOf(url: string) {
  const inner = globalThis.fetch
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) =>
    new Request(input, init).url === url
      ? Promise.reject(new TypeError('Network connection lost.'))
      : inner(input, init),
  )
}

describe('any URL that points inside, however spelled (property)', () => {
  it('is a 400 naming it, with nothing fetched and nothing kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        insideHost,
        fc.nat(),
        fc.constantFrom('', ':443', ':8080'),
        async (host, seed, port) => {
          const fake = fakeUpstream()
          const res = await postEdit(edit(`https://${anyCase(host, seed)}${port}/a.png`))
          const error = await errorOf(res)
          expect(res.status).toBe(400)
          expect(error).toMatchObject({ param: 'images.1.image_url', code: 'invalid_image_url' })
          // Tried and failed would say so: the harness refuses every host but the fakes.
          expect(error.message).not.toContain('could not be fetched')
          await settled()
          expect(fake.fileFetches).toEqual([])
          expect(await storedKeys('inputs/')).toEqual([])
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('a URL that gives no picture', () => {
  it('is one message, whatever the target answered', async () => {
    const redirect = (location: string) =>
      new Response(null, { status: 302, headers: { location } })
    const fake = fakeUpstream()
      .serve('/missing.png', new Response('no such picture', { status: 404 }))
      .serve('/broken.png', new Response('stack trace: secret', { status: 500 }))
      .serve('/private.png', redirect('https://localhost/a.png'))
      .serve('/loop.png', redirect('/loop.png'))
    failFetchesOf(`${FAKE_FILES_URL}/down.png`)
    const messages = new Set<string>()
    for (const path of ['/missing.png', '/broken.png', '/private.png', '/loop.png', '/down.png']) {
      const res = await postEdit(edit(`${FAKE_FILES_URL}${path}`))
      expect(res.status).toBe(400)
      messages.add((await errorOf(res)).message)
    }
    expect(fake.fileFetches.filter((url) => url.endsWith('/loop.png'))).toHaveLength(4)
    expect([...messages]).toHaveLength(1)
    const [message] = messages
    expect(message).toContain("The picture at 'images.1.image_url' could not be fetched")
    expect(message).not.toMatch(/404|500|secret|localhost|redirects too often/)
    expect(fake.calls).toHaveLength(0)
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })
})

describe('who may have pictures fetched', () => {
  const url = `${FAKE_FILES_URL}/a.png`

  it('refuses anonymous callers with a 403 naming the field, before fetching', async () => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    const res = await postEdit(edit(url), { env: ENVS.demo, headers: { authorization: '' } })
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toMatchObject({
      param: 'images.1.image_url',
      code: 'image_url_not_allowed',
    })
    await settled()
    expect(fake.fileFetches).toEqual([])
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses publishable keys, and fetches for secret keys', async () => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    const site = 'https://site.example'
    const publishable = await createKey({ name: 'site', kind: 'publishable', origins: [site] })
    const secret = await createKey({ name: 'app', kind: 'secret' })
    const refused = await postEdit(edit(url), {
      env: keysEnv,
      headers: { authorization: `Bearer ${publishable.key}`, origin: site },
    })
    expect(refused.status).toBe(403)
    expect(await errorOf(refused)).toMatchObject({ code: 'image_url_not_allowed' })
    expect(fake.fileFetches).toEqual([])
    const fetched = await postEdit(edit(url), {
      env: keysEnv,
      headers: { authorization: `Bearer ${secret.key}` },
    })
    expect(fetched.status).toBe(200)
    expect(fake.fileFetches).toEqual([url])
  })

  it('fetches for anyone from the hosts the operator lists', async () => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    const res = await postEdit(edit(url), {
      env: { ...ENVS.demo, EDIT_IMAGE_URL_HOSTS: 'files.example.com' },
      headers: { authorization: '' },
    })
    expect(res.status).toBe(200)
    expect(fake.fileFetches).toEqual([url])
  })
})

describe('the fetch deadline', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('is one for all of a request’s URLs together, not one per URL', async () => {
    const fake = fakeUpstream()
    // Each file answers when the test says, and fails as fetch does when its signal aborts.
    const gate = () => ({ reached: Promise.withResolvers<void>(), answer: () => {} })
    const gates = new Map([
      [`${FAKE_FILES_URL}/a.png`, gate()],
      [`${FAKE_FILES_URL}/b.png`, gate()],
    ])
    const inner = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      const held = gates.get(request.url)
      if (!held) return inner(input, init)
      fake.fileFetches.push(request.url)
      const answered = Promise.withResolvers<Response>()
      held.answer = () => answered.resolve(new Response(picture))
      request.signal.addEventListener('abort', () => answered.reject(request.signal.reason))
      held.reached.resolve()
      return answered.promise
    })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const threeFifths = (URL_FETCH_TIMEOUT_MS * 3) / 5
    const answer = postEdit({
      prompt,
      images: [{ image_url: `${FAKE_FILES_URL}/a.png` }, { image_url: `${FAKE_FILES_URL}/b.png` }],
    })
    const [a, b] = [...gates.values()] as [ReturnType<typeof gate>, ReturnType<typeof gate>]
    await a.reached.promise
    await vi.advanceTimersByTimeAsync(threeFifths)
    a.answer()
    await b.reached.promise
    // Three fifths of the deadline each: within it one by one, past it together.
    await vi.advanceTimersByTimeAsync(threeFifths)
    b.answer()
    vi.useRealTimers()
    const res = await answer
    await expectRefused(res.clone(), 'images.1.image_url', 'invalid_image_url')
    expect((await errorOf(res)).message).toContain('could not be fetched')
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
