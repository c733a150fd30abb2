/**
 * The edits route in /openapi.json: both body forms documented from the zod schemas the route
 * validates with (as JSON Schema: the route streams its body, so no validator may read it whole),
 * the JSON form's published schema judging samples as the route does, and real answers matching
 * the documented shapes.
 */
import { Validator } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import { editFormSchema, editJsonSchema } from '../../src/schema/edit-request'
import { editStreamEventSchema, imagesResponseSchema } from '../../src/schema/responses'
import { imageStreamFrames } from '../fakes/upstream'
import { dataUrl, file, form, png, postEdit } from '../helpers/edits'
import { callGateway, fakeUpstream } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

interface Schema {
  properties?: Record<string, { description?: string; type?: string }>
  required?: string[]
  additionalProperties?: boolean
}
type Doc = {
  paths: Record<
    string,
    Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>
  >
}

async function editBody() {
  fakeUpstream()
  const doc = (await (await callGateway('/openapi.json')).json()) as Doc
  return doc.paths['/v1/images/edits']?.post?.requestBody.content ?? {}
}

const prompt = 'a fox'
const image = dataUrl(png())

describe('POST /v1/images/edits in /openapi.json', () => {
  it('documents the multipart form: the files, then every field of the zod schema', async () => {
    const multipart = (await editBody())['multipart/form-data']?.schema as Schema
    const fields = Object.keys(editFormSchema.shape)
    expect(Object.keys(multipart.properties ?? {})).toEqual(['image', 'image[]', 'mask', ...fields])
    expect(multipart.properties?.input_fidelity?.description).toContain("'high' on gpt-image-1")
    expect(multipart.required).toContain('prompt')
  })

  it('documents the JSON form, whose published schema judges like the route', async () => {
    const schema = (await editBody())['application/json']?.schema as Schema
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(
      Object.keys(editJsonSchema.shape).sort(),
    )
    expect(schema.additionalProperties).toBe(false)
    const published = new Validator(schema as object, '2020-12')
    const samples: [string, Record<string, unknown>, boolean][] = [
      ['the least', { prompt, images: [{ image_url: image }] }, true],
      [
        'with a mask and fields',
        {
          prompt,
          images: [{ image_url: image }],
          mask: { image_url: dataUrl(png(8, 8, true)) },
          n: 2,
          input_fidelity: 'low',
        },
        true,
      ],
      ['no images', { prompt }, false],
      ['no prompt', { images: [{ image_url: image }] }, false],
      ['an unknown field', { prompt, images: [{ image_url: image }], style: 'x' }, false],
      ['n 11', { prompt, images: [{ image_url: image }], n: 11 }, false],
      ['a reference with an unknown key', { prompt, images: [{ url: image }] }, false],
    ]
    for (const [label, sample, accepted] of samples) {
      fakeUpstream()
      const res = await postEdit(sample)
      await res.arrayBuffer()
      expect(res.status < 400, `${label}: route`).toBe(accepted)
      expect(published.validate(sample).valid, `${label}: published schema`).toBe(accepted)
    }
  })

  it('describes what the route really answers', async () => {
    fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(1, 'image_edit') })
    const stream = await postEdit(
      form([
        ['image', file(png())],
        ['prompt', prompt],
        ['stream', 'true'],
        ['partial_images', '1'],
      ]),
    )
    const events = await readEvents(stream)
    expect(events.map((e) => e.event)).toEqual(['image_edit.partial_image', 'image_edit.completed'])
    for (const event of events) editStreamEventSchema.parse(JSON.parse(event.data))
    imagesResponseSchema.parse(
      await (
        await postEdit(
          form([
            ['image', file(png())],
            ['prompt', 'b'],
          ]),
        )
      ).json(),
    )
  })
})
