/**
 * The demo upstream's edits: the multipart body read with the gateway's own scanner, keeping the
 * first picture and the mask, answered with that picture retouched, with partial images.
 */
import { concat } from '../stream/bytes'
import { boundaryOf, MultipartScanner } from '../stream/multipart'
import { answer, errorAnswer } from './answers'
import { decodePicture } from './decode-picture'
import { encodeImage } from './encode'
import { seedOf } from './picture'
import { demoRequest } from './request'
import { answerSpec, demoFormat, resolve } from './resolve'
import { retouch } from './retouch'

interface Parts {
  fields: Record<string, string>
  image: Uint8Array | null
  mask: Uint8Array | null
  images: number
}

/** Image input tokens the demo reports per picture: one tile, plus high fidelity's share. */
const TILE_TOKENS = 194
const HIGH_FIDELITY_TOKENS = 4160

async function readParts(body: ReadableStream<Uint8Array>, boundary: string): Promise<Parts> {
  const parts: Parts = { fields: {}, image: null, mask: null, images: 0 }
  let name = ''
  let kept: Uint8Array[] | null = null
  const scanner = new MultipartScanner(boundary, {
    begin: (head) => {
      name = head.name
      const first = name !== 'mask' && parts.images === 0
      if (name === 'image' || name === 'image[]') parts.images++
      kept = name === 'mask' || first || !name.startsWith('image') ? [] : null
    },
    data: (chunk, from, to) => kept?.push(chunk.slice(from, to)),
    end: () => {
      const bytes = concat(kept ?? [])
      if (name === 'mask') parts.mask = bytes
      else if (name.startsWith('image')) parts.image ??= bytes
      else parts.fields[name] = new TextDecoder().decode(bytes)
    },
  })
  const reader = body.getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read())
    scanner.push(read.value)
  scanner.finish()
  return parts
}

/** An aspect-true size the classic sizes offer, for `size: auto`. */
function autoSize(width: number, height: number): string {
  const ratio = width / height
  return ratio > 1.2 ? '1536x1024' : ratio < 1 / 1.2 ? '1024x1536' : '1024x1024'
}

/** Answers an edit; a streamed one pauses `partialIntervalMs` before each image. */
export async function demoEdit(request: Request, partialIntervalMs: number): Promise<Response> {
  const boundary = boundaryOf(request.headers.get('content-type'))
  if (!boundary || !request.body) {
    return errorAnswer('Send the edit as multipart/form-data.', null, 'invalid_request')
  }
  const parts = await readParts(request.body, boundary)
  const req = demoRequest(parts.fields, 'edit')
  if (req instanceof Response) return req
  if (!parts.image) {
    return errorAnswer(
      "Missing required parameter: 'image'.",
      'image',
      'missing_required_parameter',
    )
  }
  const source = decodePicture(parts.image)
  if (typeof source === 'string')
    return errorAnswer(`The image: ${source}.`, 'image', 'invalid_image_format')
  const mask = parts.mask ? decodePicture(parts.mask) : null
  if (typeof mask === 'string') return errorAnswer(`The mask: ${mask}.`, 'mask', 'invalid_mask')
  const format = demoFormat(req)
  if (format instanceof Response) return format
  const r = resolve(req, format, autoSize(source.width, source.height))
  const fidelity = req.input_fidelity === 'high' ? HIGH_FIDELITY_TOKENS : 0
  const spec = answerSpec(req, r, parts.images * (TILE_TOKENS + fidelity))
  const transparent = r.background === 'transparent'
  const render = (index: number, block: number) => {
    const seed = seedOf(`${req.model}\n${index}\n${req.prompt}`)
    const pixels = retouch(source, mask, {
      width: r.width,
      height: r.height,
      seed,
      block,
      transparent,
    })
    return encodeImage(
      { width: r.width, height: r.height, channels: 4, pixels },
      r.format,
      req.output_compression,
    )
  }
  return answer(spec, req.stream, render, partialIntervalMs)
}
