/**
 * What an edit costs: its reservation adds the registry's most image input tokens for every
 * input picture at its fidelity; its settlement prices the reported image input tokens at the
 * image input price. A balance that cannot cover the reservation refuses before any call.
 */
import { describe, expect, it } from 'vitest'
import { costOf, estimateCost } from '../../src/billing/prices'
import { defaultInputFidelity, MODEL_IDS, MODELS } from '../../src/models'
import type { InputImage } from '../../src/result/inputs'
import { normalizeEdit } from '../../src/schema/edit-request'
import { normalize } from '../../src/schema/image-request'
import { successBody } from '../fakes/upstream'
import { file, form, png, postEdit } from '../helpers/edits'
import { fakeUpstream, settled } from '../helpers/gateway'
import { createKey, env, errorOf, usage } from '../helpers/keys'
import { storedKeys } from '../helpers/r2'

const picture: InputImage = {
  sha256: 'a'.repeat(64),
  bytes: 10,
  format: 'png',
  width: 8,
  height: 8,
}
const prompt = 'a fox, repainted'

describe('edit prices', () => {
  it.each(MODEL_IDS)('%s reserves each picture’s image input tokens at its fidelity', (model) => {
    const fields = { model, prompt, quality: 'low' as const }
    const caps = MODELS[model]
    for (const fidelity of [...caps.inputFidelities, undefined]) {
      const edit = normalizeEdit(
        { ...fields, input_fidelity: fidelity },
        { images: [picture, picture, picture], mask: null },
      )
      const tokens = caps.inputImageTokens[fidelity ?? defaultInputFidelity(model)]
      expect(estimateCost(edit) - estimateCost(normalize(fields))).toBeCloseTo(
        3 * tokens * caps.prices.imageInput,
        0,
      )
    }
  })

  it('settles text and image input tokens at their own prices', () => {
    const edit = normalizeEdit({ prompt }, { images: [picture], mask: null })
    const usage = {
      input_tokens: 1010,
      input_tokens_details: { image_tokens: 1000, text_tokens: 10 },
      output_tokens: 1056,
    }
    expect(costOf(edit, usage)).toBe(10 * 5 + 1000 * 10 + 1056 * 40)
    // Without the details an edit's input is priced as image input, a generation's as text.
    const bare = { input_tokens: 1010, output_tokens: 1056 }
    expect(costOf(edit, bare)).toBe(1010 * 10 + 1056 * 40)
    expect(costOf(normalize({ prompt }), bare)).toBe(1010 * 5 + 1056 * 40)
  })

  it('charges a managed key what the upstream reports, image input included', async () => {
    const body = successBody({})
    body.usage = {
      ...body.usage,
      input_tokens: 1010,
      input_tokens_details: { image_tokens: 1000, text_tokens: 10 },
    }
    fakeUpstream().reply({ kind: 'json', status: 200, body })
    const { key } = await createKey({ name: 'editor', kind: 'secret', balance_usd: 5 })
    const res = await postEdit(
      form([
        ['image', file(png())],
        ['prompt', prompt],
      ]),
      {
        env,
        headers: { authorization: `Bearer ${key}` },
      },
    )
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    await settled()
    expect((await usage(key)).spent_usd).toBeCloseTo((10 * 5 + 1000 * 10 + 1056 * 40) / 1e6, 9)
  })

  it('applies a key’s permissions to edits, keeping nothing of a refused one', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'one', kind: 'secret', permissions: { max_n: 1 } })
    const res = await postEdit(
      form([
        ['image', file(png())],
        ['prompt', prompt],
        ['n', '2'],
      ]),
      {
        env,
        headers: { authorization: `Bearer ${key}` },
      },
    )
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toMatchObject({ code: 'n_not_allowed', param: 'n' })
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('refuses, before any call, an edit the balance cannot cover, and keeps nothing', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'poor', kind: 'secret', balance_usd: 0.2 })
    const pictures = Array.from({ length: 16 }, (): [string, File] => ['image[]', file(png())])
    const res = await postEdit(
      form([
        ...pictures,
        ['prompt', prompt],
        ['input_fidelity', 'high'],
        ['quality', 'low'],
        ['size', '1024x1024'],
      ]),
      {
        env,
        headers: { authorization: `Bearer ${key}` },
      },
    )
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('insufficient_balance')
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
