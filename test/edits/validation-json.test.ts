/**
 * Every invalid JSON-form edit is a 400 naming its field, before any upstream call, with nothing
 * left in R2: a file_id (no Files API here), URLs that are not https or base64 data: URLs, pictures
 * that cannot be fetched or are not pictures, too many, a mask that does not fit; and a body of
 * another type is a 415.
 */
import { describe, expect, it } from 'vitest'
import { FAKE_FILES_URL } from '../fakes/upstream'
import {
  dataUrl,
  expectRefusals,
  png,
  postEdit,
  postRaw,
  type Refusal,
  webp,
} from '../helpers/edits'
import { fakeUpstream } from '../helpers/gateway'

const prompt = 'make it blue'
const text = new TextEncoder().encode('not a picture at all, just text')
/** An edit of pictures given by these image_urls. */
const urls = (...image_urls: string[]) =>
  postEdit({ prompt, images: image_urls.map((image_url) => ({ image_url })) })

/** A JSON edit sent as this text (JSON.stringify cannot repeat a key). */
const rawJson = (body: string) => postRaw(body, 'application/json')
const B = JSON.stringify(dataUrl(png()))
const A = `{"image_url":${B}}`
const MASK = `{"image_url":${JSON.stringify(dataUrl(png(8, 8, true)))}}`

const REFUSALS: Refusal[] = [
  ['no images', () => postEdit({ prompt }), 'images', 'missing_required_parameter'],
  ['an empty images list', () => postEdit({ prompt, images: [] }), 'images', 'array_too_short'],
  [
    'a file_id',
    () => postEdit({ prompt, images: [{ file_id: 'file-abc' }] }),
    'images.0.file_id',
    'unsupported_parameter',
  ],
  ['an http URL', () => urls('http://files.test/a.png'), 'images.0.image_url', 'invalid_image_url'],
  ['a URL that is not one', () => urls('a picture'), 'images.0.image_url', 'invalid_image_url'],
  [
    'an https URL that answers 404',
    () => urls(`${FAKE_FILES_URL}/missing.png`),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a data: URL that is not base64',
    () => urls('data:image/png,abc'),
    'images.0.image_url',
    'invalid_image_url',
  ],
  [
    'a data: URL with broken base64',
    () => urls('data:image/png;base64,iVBO!!!'),
    'images.0.image_url',
    'invalid_image_url',
  ],
  ['a data: URL of text', () => urls(dataUrl(text)), 'images.0.image_url', 'invalid_image_format'],
  [
    'a mask of another size than the first picture',
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
    () => urls(...Array.from({ length: 17 }, () => dataUrl(png()))),
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
    'images given twice (the last list shorter)',
    () => rawJson(`{"prompt":"x","images":[${A},${A},${A}],"images":[${A}]}`),
    'images',
    'invalid_value',
  ],
  [
    'a mask given twice (the last one null)',
    () => rawJson(`{"prompt":"x","images":[${A}],"mask":${MASK},"mask":null}`),
    'mask',
    'invalid_value',
  ],
  [
    'image_url given twice in one picture',
    () => rawJson(`{"prompt":"x","images":[{"image_url":${B},"image_url":${B}}]}`),
    'images.0.image_url',
    'invalid_value',
  ],
  [
    'a text field given twice',
    () => rawJson(`{"prompt":"x","prompt":"y","images":[${A}]}`),
    'prompt',
    'invalid_value',
  ],
  [
    'a key spelled with an escape, standing for a picture taken out elsewhere',
    () => rawJson(`{"prompt":"x","images":[${A},{"image\\u005furl":"\\u00000"}]}`),
    'images.1.image_url',
    'invalid_image_url',
  ],
  [
    'malformed JSON',
    () => postRaw('{"prompt": "x", "images": [', 'application/json'),
    null,
    'invalid_json',
  ],
]

describe('an invalid JSON edit is a 400 naming its field, with no call and nothing kept', () => {
  expectRefusals(REFUSALS)

  it('refuses another content type with a 415 naming both forms an edit takes', async () => {
    const fake = fakeUpstream()
    const res = await postRaw('prompt=x', 'application/x-www-form-urlencoded')
    expect(res.status).toBe(415)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('unsupported_media_type')
    expect(error.message).toContain('multipart/form-data')
    expect(error.message).toContain('application/json')
    expect(fake.calls).toHaveLength(0)
  })

  it('names a refused picture by its field as sent, never by a capitalised name', async () => {
    fakeUpstream()
    const res = await urls(dataUrl(png()), dataUrl(text))
    const { error } = (await res.json()) as { error: { param: string; message: string } }
    expect(error.param).toBe('images.1.image_url')
    expect(error.message).toContain("'images.1.image_url'")
    expect(error.message).not.toMatch(/Images|\[1\]/)
  })
})
