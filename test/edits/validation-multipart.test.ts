/**
 * Every invalid multipart edit is a 400 naming its field, before any upstream call, with nothing
 * left in R2: pictures judged by their bytes (not names or declared types), too many, too large,
 * masks that are not pngs with alpha of the first picture's size; fields by generations' rules.
 */
import { describe, expect, it } from 'vitest'
import {
  expectRefusals,
  expectRefused,
  file,
  form,
  jpeg,
  multipartStream,
  png,
  postEdit,
  postRaw,
  type Refusal,
} from '../helpers/edits'
import { fakeUpstream, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

const prompt = 'make it blue'
const MB = 1024 * 1024
const text = file(new TextEncoder().encode('not a picture at all, just text'))
const gif = file(new TextEncoder().encode('GIF89a\x01\x00\x01\x00;'))
const alpha = () => file(png(8, 8, true), 'm.png')

/** An edit of one good picture and a prompt, plus `extra` parts. */
const edit = (...extra: [string, string | File][]) =>
  postEdit(form([['image', file(png())], ['prompt', prompt], ...extra]))
/** An edit of just these parts. */
const only = (...parts: [string, string | File][]) => postEdit(form(parts))

const REFUSALS: Refusal[] = [
  ['no image', () => only(['prompt', prompt]), 'image', 'missing_required_parameter'],
  ['no prompt', () => only(['image', file(png())]), 'prompt', 'missing_required_parameter'],
  [
    'text named .png, declared png',
    () => only(['image', text], ['prompt', prompt]),
    'image',
    'invalid_image_format',
  ],
  ['a gif', () => only(['image', gif], ['prompt', prompt]), 'image', 'invalid_image_format'],
  ['a second picture that is text', () => edit(['image', text]), 'image', 'invalid_image_format'],
  [
    '17 images',
    () =>
      only(...Array.from({ length: 17 }, (): [string, File] => ['image[]', file(png())]), [
        'prompt',
        prompt,
      ]),
    'image',
    'too_many_images',
  ],
  [
    'a jpeg mask',
    () => edit(['mask', file(jpeg(), 'm.jpg', 'image/jpeg')]),
    'mask',
    'invalid_mask',
  ],
  ['a mask without alpha', () => edit(['mask', file(png())]), 'mask', 'invalid_mask'],
  ['a mask of another size', () => edit(['mask', file(png(16, 8, true))]), 'mask', 'invalid_mask'],
  ['two masks', () => edit(['mask', alpha()], ['mask', alpha()]), 'mask', 'invalid_value'],
  ['an unknown field', () => edit(['style', 'vivid']), 'style', 'unknown_parameter'],
  [
    'a file as the prompt',
    () => only(['image', file(png())], ['prompt', text]),
    'prompt',
    'invalid_type',
  ],
  ['the prompt twice', () => edit(['prompt', prompt]), 'prompt', 'invalid_value'],
  ['n 11', () => edit(['n', '11']), 'n', 'integer_above_max_value'],
  ['n in words', () => edit(['n', 'two']), 'n', 'invalid_type'],
  ['stream in words', () => edit(['stream', 'yes']), 'stream', 'invalid_type'],
  [
    'high fidelity on gpt-image-1-mini',
    () => edit(['model', 'gpt-image-1-mini'], ['input_fidelity', 'high']),
    'input_fidelity',
    'unsupported_value',
  ],
  [
    'any fidelity on gpt-image-2',
    () => edit(['model', 'gpt-image-2'], ['input_fidelity', 'low']),
    'input_fidelity',
    'unsupported_value',
  ],
  ['a size the model lacks', () => edit(['size', '2048x2048']), 'size', 'invalid_size'],
  [
    'partial images without stream',
    () => edit(['partial_images', '2']),
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

describe('an invalid multipart edit is a 400 naming its field, with no call and nothing kept', () => {
  expectRefusals(REFUSALS)

  it('refuses a 50 MB image as soon as it passes the limit, without reading the rest', async () => {
    const fake = fakeUpstream()
    const upload = multipartStream([
      { name: 'prompt', bytes: prompt },
      { name: 'image', filename: 'big.png', type: 'image/png', bytes: png(), size: 60 * MB },
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
})
