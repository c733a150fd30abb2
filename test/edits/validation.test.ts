/**
 * Every invalid edit is a 400 naming its field, before any upstream call, with nothing left in
 * R2: pictures judged by their bytes (not names or declared types), too many, too large, masks
 * without alpha or of another size; text fields by the same rules as generations; both forms.
 */
import { describe, expect, it } from 'vitest'
import { FAKE_FILES_URL } from '../fakes/upstream'
import {
  dataUrl,
  file,
  form,
  jpeg,
  multipartStream,
  png,
  postEdit,
  postRaw,
  webp,
} from '../helpers/edits'
import { fakeUpstream, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

const prompt = 'make it blue'
const MB = 1024 * 1024
const text = new TextEncoder().encode('not a picture at all, just text')

/** [label, send, param, code] */
type Case = [string, () => Promise<Response>, string | null, string]

const multipart: Case[] = [
  ['no image', () => postEdit(form([['prompt', prompt]])), 'image', 'missing_required_parameter'],
  [
    'no prompt',
    () => postEdit(form([['image', file(png())]])),
    'prompt',
    'missing_required_parameter',
  ],
  [
    'text named .png and declared image/png',
    () =>
      postEdit(
        form([
          ['image', file(text)],
          ['prompt', prompt],
        ]),
      ),
    'image',
    'invalid_image_format',
  ],
  [
    'a gif',
    () =>
      postEdit(
        form([
          ['image', file(new TextEncoder().encode('GIF89a\x01\x00\x01\x00;'))],
          ['prompt', prompt],
        ]),
      ),
    'image',
    'invalid_image_format',
  ],
  [
    'a second image that is not a picture',
    () =>
      postEdit(
        form([
          ['image[]', file(png())],
          ['image[]', file(text)],
          ['prompt', prompt],
        ]),
      ),
    'image',
    'invalid_image_format',
  ],
  [
    '17 images',
    () =>
      postEdit(
        form([
          ...Array.from({ length: 17 }, (): [string, File] => ['image[]', file(png())]),
          ['prompt', prompt],
        ]),
      ),
    'image',
    'too_many_images',
  ],
  [
    'a jpeg mask',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['mask', file(jpeg(), 'm.jpg', 'image/jpeg')],
          ['prompt', prompt],
        ]),
      ),
    'mask',
    'invalid_mask',
  ],
  [
    'a mask without alpha',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['mask', file(png())],
          ['prompt', prompt],
        ]),
      ),
    'mask',
    'invalid_mask',
  ],
  [
    'a mask of another size',
    () =>
      postEdit(
        form([
          ['image', file(png(8, 8))],
          ['mask', file(png(16, 8, true))],
          ['prompt', prompt],
        ]),
      ),
    'mask',
    'invalid_mask',
  ],
  [
    'two masks',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['mask', file(png(8, 8, true))],
          ['mask', file(png(8, 8, true))],
          ['prompt', prompt],
        ]),
      ),
    'mask',
    'invalid_value',
  ],
  [
    'an unknown field',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['style', 'vivid'],
        ]),
      ),
    'style',
    'unknown_parameter',
  ],
  [
    'a file as the prompt',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', file(text)],
        ]),
      ),
    'prompt',
    'invalid_type',
  ],
  [
    'prompt twice',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['prompt', prompt],
        ]),
      ),
    'prompt',
    'invalid_value',
  ],
  [
    'n 11',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['n', '11'],
        ]),
      ),
    'n',
    'integer_above_max_value',
  ],
  [
    'n as words',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['n', 'two'],
        ]),
      ),
    'n',
    'invalid_type',
  ],
  [
    'stream as words',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['stream', 'yes'],
        ]),
      ),
    'stream',
    'invalid_type',
  ],
  [
    'high fidelity on gpt-image-1-mini',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['model', 'gpt-image-1-mini'],
          ['input_fidelity', 'high'],
        ]),
      ),
    'input_fidelity',
    'unsupported_value',
  ],
  [
    'any fidelity on gpt-image-2',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['model', 'gpt-image-2'],
          ['input_fidelity', 'low'],
        ]),
      ),
    'input_fidelity',
    'unsupported_value',
  ],
  [
    'a size the model lacks',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['size', '2048x2048'],
        ]),
      ),
    'size',
    'invalid_size',
  ],
  [
    'partial images without stream',
    () =>
      postEdit(
        form([
          ['image', file(png())],
          ['prompt', prompt],
          ['partial_images', '2'],
        ]),
      ),
    'partial_images',
    'unsupported_parameter',
  ],
  [
    'a body without its last boundary',
    () =>
      postRaw(
        '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx\r\n',
        'multipart/form-data; boundary=b',
      ),
    null,
    'invalid_multipart',
  ],
  [
    'multipart without a boundary',
    () => postRaw('x', 'multipart/form-data'),
    null,
    'invalid_multipart',
  ],
]

const json: Case[] = [
  ['no images', () => postEdit({ prompt }), 'images', 'missing_required_parameter'],
  ['an empty images list', () => postEdit({ prompt, images: [] }), 'images', 'array_too_short'],
  [
    'a file_id',
    () => postEdit({ prompt, images: [{ file_id: 'file-abc' }] }),
    'images.0.file_id',
    'unsupported_parameter',
  ],
  [
    'an http URL',
    () => postEdit({ prompt, images: [{ image_url: 'http://files.test/a.png' }] }),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a URL that is not one',
    () => postEdit({ prompt, images: [{ image_url: 'a picture' }] }),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'an https URL that answers 404',
    () => postEdit({ prompt, images: [{ image_url: `${FAKE_FILES_URL}/missing.png` }] }),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a data: URL that is not base64',
    () => postEdit({ prompt, images: [{ image_url: 'data:image/png,abc' }] }),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a data: URL with broken base64',
    () => postEdit({ prompt, images: [{ image_url: 'data:image/png;base64,iVBO!!!' }] }),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a data: URL of text',
    () => postEdit({ prompt, images: [{ image_url: dataUrl(text) }] }),
    'images.0.image_url',
    'invalid_image_format',
  ],
  [
    'a second data: URL of a webp declared png, with a mask of another size',
    () =>
      postEdit({
        prompt,
        images: [{ image_url: dataUrl(png(8, 8)) }, { image_url: dataUrl(webp(9, 9)) }],
        mask: { image_url: dataUrl(png(9, 9, true)) },
      }),
    'mask.image_url',
    'invalid_mask',
  ],
  [
    '17 images',
    () =>
      postEdit({
        prompt,
        images: Array.from({ length: 17 }, () => ({ image_url: dataUrl(png()) })),
      }),
    'images',
    'too_many_images',
  ],
  [
    'image_url outside images',
    () => postEdit({ prompt, image_url: dataUrl(png()) }),
    'image_url',
    'unknown_parameter',
  ],
  [
    'an unknown field',
    () => postEdit({ prompt, images: [{ image_url: dataUrl(png()) }], style: 'vivid' }),
    'style',
    'unknown_parameter',
  ],
  [
    'malformed JSON',
    () => postRaw('{"prompt": "x", "images": [', 'application/json'),
    null,
    'invalid_json',
  ],
]

async function expectRefused(res: Response, param: string | null, code: string) {
  const body = (await res.json()) as {
    error: { param: string | null; code: string; message: string }
  }
  expect(res.status, body.error.message).toBe(400)
  expect(body.error).toMatchObject({ param, code })
  expect(body.error.message.length).toBeGreaterThan(10)
}

describe('an invalid edit is a 400 naming its field, with no upstream call and nothing kept', () => {
  it.each([
    ...multipart.map((c) => ['multipart', ...c] as const),
    ...json.map((c) => ['JSON', ...c] as const),
  ])('%s: %s', async (_form, _label, send, param, code) => {
    const fake = fakeUpstream()
    await expectRefused(await send(), param, code)
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses a 50 MB image as soon as it passes the limit, without reading the rest', async () => {
    const fake = fakeUpstream()
    const upload = multipartStream([
      { name: 'prompt', bytes: prompt },
      {
        name: 'image',
        filename: 'big.png',
        type: 'image/png',
        bytes: png(),
        size: 50 * MB + 10 * MB,
      },
    ])
    await expectRefused(await postRaw(upload.body, upload.contentType), 'image', 'image_too_large')
    await settled()
    expect(upload.read()).toBeLessThan(52 * MB)
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses a mask of 4 MB', async () => {
    fakeUpstream()
    const upload = multipartStream([
      { name: 'image', filename: 'a.png', bytes: png() },
      { name: 'mask', filename: 'mask.png', bytes: png(8, 8, true), size: 4 * MB },
      { name: 'prompt', bytes: prompt },
    ])
    await expectRefused(await postRaw(upload.body, upload.contentType), 'mask', 'image_too_large')
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('answers a body that breaks off as the client’s failure, keeping nothing', async () => {
    const fake = fakeUpstream()
    const upload = multipartStream([
      { name: 'prompt', bytes: prompt },
      { name: 'image', filename: 'a.png', bytes: png(), size: 8 * MB },
    ])
    const reader = upload.body.getReader()
    let sent = 0
    const broken = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value } = await reader.read()
        sent += value?.length ?? 0
        if (sent > 6 * MB) controller.error(new TypeError('Network connection lost.'))
        else controller.enqueue(value as Uint8Array)
      },
    })
    await expectRefused(await postRaw(broken, upload.contentType), null, 'incomplete_body')
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses another content type with a 415', async () => {
    const fake = fakeUpstream()
    const res = await postRaw('prompt=x', 'application/x-www-form-urlencoded')
    expect(res.status).toBe(415)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'unsupported_media_type',
    )
    expect(fake.calls).toHaveLength(0)
  })
})
