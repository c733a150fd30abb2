/**
 * What reaches the upstream for an edit: a multipart body with exactly the fields the client set
 * (strings, as multipart carries them), never our own, and every picture byte for byte under the
 * client's field and filename with the type its bytes say; from the JSON form too (data: and
 * https URLs become files). The operator's key, and nothing of the client's headers.
 */
import { describe, expect, it } from 'vitest'
import { FAKE_FILES_URL, OPERATOR_KEY } from '../fakes/upstream'
import {
  dataUrl,
  file,
  form,
  jpeg,
  multipartStream,
  png,
  postEdit,
  postRaw,
  sha256,
  webp,
} from '../helpers/edits'
import { ENVS, fakeUpstream } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

const prompt = 'make the sky purple'

/** A file as the fake upstream records it: field, filename, type, size and SHA-256. */
const sent = async (field: string, filename: string, contentType: string, bytes: Uint8Array) => ({
  field,
  filename,
  contentType,
  bytes: bytes.length,
  sha256: await sha256(bytes),
})

describe('edit forwarding', () => {
  it('sends every field the client set, as text, and the pictures in order', async () => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: [] })
    const [a, b, mask] = [png(16, 8), jpeg(16, 8), png(16, 8, true)]
    const fields: [string, string][] = [
      ['model', 'gpt-image-1.5'],
      ['prompt', prompt],
      ['n', '2'],
      ['size', '1536x1024'],
      ['quality', 'high'],
      ['background', 'transparent'],
      ['moderation', 'low'],
      ['output_format', 'webp'],
      ['output_compression', '80'],
      ['stream', 'true'],
      ['partial_images', '2'],
      ['user', 'end-user-42'],
      ['input_fidelity', 'high'],
    ]
    const res = await postEdit(
      form([
        ['image[]', file(a, 'first.png')],
        // Declared png, but its bytes are a jpeg: the bytes decide.
        ['image[]', file(b, 'second.png', 'image/png')],
        ['mask', file(mask, 'mask.png')],
        ...fields,
        ['response_format', 'url'],
      ]),
      { headers: { 'x-custom': 'secret', cookie: 'a=b' } },
    )
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const call = fake.calls[0]
    expect(call?.url).toBe('http://fake/v1/images/edits')
    expect(call?.authorization).toBe(`Bearer ${OPERATOR_KEY}`)
    expect(call?.contentType).toMatch(/^multipart\/form-data; boundary=/)
    expect(call?.body).toEqual(Object.fromEntries(fields))
    expect(call?.files).toEqual([
      await sent('image[]', 'first.png', 'image/png', a),
      await sent('image[]', 'second.png', 'image/jpeg', b),
      await sent('mask', 'mask.png', 'image/png', mask),
    ])
    expect(call?.headers['x-custom']).toBeUndefined()
    expect(call?.headers.cookie).toBeUndefined()
  })

  it('sends model and prompt only for the least edit, keeping the single image field', async () => {
    const fake = fakeUpstream()
    const picture = webp()
    const res = await postEdit(
      form([
        ['image', file(picture, 'x.webp', 'image/webp')],
        ['prompt', prompt],
        ['output_format', 'auto'],
      ]),
    )
    expect(res.status).toBe(200)
    expect(fake.calls[0]?.body).toEqual({ model: 'gpt-image-1', prompt })
    expect(fake.calls[0]?.parts).toEqual(['model', 'prompt', 'image'])
    expect(fake.calls[0]?.files?.[0]).toMatchObject({
      field: 'image',
      filename: 'x.webp',
      contentType: 'image/webp',
    })
  })

  it('names a picture sent without a filename by its type', async () => {
    const fake = fakeUpstream()
    const upload = multipartStream([
      { name: 'image', bytes: jpeg() },
      { name: 'prompt', bytes: prompt },
    ])
    expect((await postRaw(upload.body, upload.contentType)).status).toBe(200)
    expect(fake.calls[0]?.files?.[0]).toMatchObject({
      field: 'image',
      filename: 'image-1.jpeg',
      contentType: 'image/jpeg',
    })
  })

  it('forwards a filename with control or undecodable bytes cleaned, never failing the edit', async () => {
    const fake = fakeUpstream()
    const upload = multipartStream([
      { name: 'image', filename: 'PLACEHOLDER', bytes: png(8, 8) },
      { name: 'mask', filename: '\u0000\u0001', bytes: png(8, 8, true) },
      { name: 'prompt', bytes: prompt },
    ])
    // The first filename's bytes as a careless client sends them: NUL, EOT and a lone 0xB5.
    const raw = new Uint8Array(await new Response(upload.body).arrayBuffer())
    const placeholder = new TextEncoder().encode('PLACEHOLDER')
    const at = raw.findIndex((_, i) => placeholder.every((b, j) => raw[i + j] === b))
    const body = new Uint8Array([
      ...raw.subarray(0, at),
      ...[0x64, 0x04, 0xb5, 0x00, 0x2e, 0x70, 0x6e, 0x67],
      ...raw.subarray(at + placeholder.length),
    ])
    expect((await postRaw(body, upload.contentType)).status).toBe(200)
    expect(fake.calls[0]?.files?.map((f) => [f.field, f.filename])).toEqual([
      ['image', 'd___.png'],
      ['mask', 'mask.png'],
    ])
  })

  it('turns the JSON form’s data: and https pictures into files, with its fields', async () => {
    const [a, b, mask] = [png(12, 12), jpeg(12, 12), png(12, 12, true)]
    const fake = fakeUpstream().serve(
      '/b.jpg',
      new Response(b, { headers: { 'content-type': 'image/jpeg' } }),
    )
    const res = await postEdit({
      prompt,
      images: [{ image_url: dataUrl(a) }, { image_url: `${FAKE_FILES_URL}/b.jpg` }],
      mask: { image_url: dataUrl(mask) },
      model: 'gpt-image-1-mini',
      n: 2,
      input_fidelity: 'low',
      user: null,
    })
    expect(res.status).toBe(200)
    const call = fake.calls[0]
    expect(call?.body).toEqual({ model: 'gpt-image-1-mini', prompt, n: '2', input_fidelity: 'low' })
    expect(call?.files).toEqual([
      await sent('image[]', 'image-1.png', 'image/png', a),
      await sent('image[]', 'image-2.jpeg', 'image/jpeg', b),
      await sent('mask', 'mask.png', 'image/png', mask),
    ])
  })

  it('follows an https redirect, but not one to http', async () => {
    const picture = png()
    const fake = fakeUpstream()
      .serve('/moved.png', new Response(null, { status: 302, headers: { location: '/a.png' } }))
      .serve('/a.png', new Response(picture))
      .serve(
        '/plain.png',
        new Response(null, {
          status: 301,
          headers: { location: 'http://files.example.com/a.png' },
        }),
      )
    const moved = await postEdit({ prompt, images: [{ image_url: `${FAKE_FILES_URL}/moved.png` }] })
    expect(moved.status).toBe(200)
    expect(fake.calls[0]?.files?.[0]?.sha256).toBe(await sha256(picture))
    const plain = await postEdit({ prompt, images: [{ image_url: `${FAKE_FILES_URL}/plain.png` }] })
    expect(plain.status).toBe(400)
    expect(((await plain.json()) as { error: { param: string } }).error.param).toBe(
      'images.0.image_url',
    )
    expect(fake.calls).toHaveLength(1)
  })
})

describe('EDIT_IMAGE_URL_HOSTS', () => {
  const withHosts = (hosts: string) => ({ env: { ...ENVS.remote, EDIT_IMAGE_URL_HOSTS: hosts } })
  const picture = png()

  it('fetches from a listed host, or a subdomain of a *. entry', async () => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    for (const hosts of ['files.example.com', 'other.example, *.example.com']) {
      const res = await postEdit(
        { prompt: `${prompt} ${hosts}`, images: [{ image_url: `${FAKE_FILES_URL}/a.png` }] },
        withHosts(hosts),
      )
      expect(res.status).toBe(200)
    }
    expect(fake.fileFetches).toHaveLength(2)
  })

  it('refuses any other host before fetching anything, naming the picture', async () => {
    const fake = fakeUpstream().serve('/a.png', new Response(picture))
    const res = await postEdit(
      {
        prompt,
        images: [
          { image_url: `${FAKE_FILES_URL}/a.png` },
          { image_url: 'https://x.example.net/b.png' },
        ],
      },
      withHosts('files.example.com, *.cdn.example'),
    )
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: Record<string, unknown> }
    expect(error).toMatchObject({ param: 'images.1.image_url', code: 'invalid_image_url' })
    expect(error.message).toBe(
      "'images.1.image_url' is on x.example.net; this gateway fetches pictures only from files.example.com, *.cdn.example.",
    )
    expect(fake.fileFetches).toEqual([])
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses a redirect to another host, and every URL with none', async () => {
    const fake = fakeUpstream().serve(
      '/moved.png',
      new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/a.png' } }),
    )
    const moved = await postEdit(
      { prompt, images: [{ image_url: `${FAKE_FILES_URL}/moved.png` }] },
      withHosts('files.example.com'),
    )
    expect(moved.status).toBe(400)
    expect(((await moved.json()) as { error: { message: string } }).error.message).toContain(
      'could not be fetched',
    )
    const none = await postEdit(
      {
        prompt,
        images: [{ image_url: dataUrl(picture) }],
        mask: { image_url: `${FAKE_FILES_URL}/m.png` },
      },
      withHosts('none'),
    )
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({
      error: {
        param: 'mask.image_url',
        message:
          "'mask.image_url': this gateway takes pictures as uploads or data: URLs, not https URLs.",
      },
    })
    expect(fake.fileFetches).toEqual([`${FAKE_FILES_URL}/moved.png`])
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
