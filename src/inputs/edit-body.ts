/**
 * An edit's body in either form (multipart, or JSON with image URLs) read into validated fields,
 * the normalized request (pictures by digest) and the upstream payload; every invalid input a 400
 * naming its field before any upstream call; on any failure the pictures stored so far deleted.
 */
import type { z } from 'zod'
import type { InputStore } from '../cache/inputs'
import { fail } from '../errors'
import { IMAGE_TYPES } from '../result/result'
import {
  type EditFields,
  editFormSchema,
  editJsonSchema,
  editUpstreamFields,
  normalizeEdit,
} from '../schema/edit-request'
import type { NormalizedImageRequest } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { deadline } from '../stream/deadline'
import { boundaryOf } from '../stream/multipart'
import { safeFilename } from '../upstream/multipart-body'
import type { UpstreamFile, UpstreamPayload } from '../upstream/payload'
import {
  allowedUrl,
  fetchInput,
  requireUrlCaller,
  URL_FETCH_TIMEOUT_MS,
  type UrlInputRules,
} from './fetch-input'
import { InputWriter } from './input-writer'
import { discardValues, MARKER, readJsonEdit, type UrlValue } from './read-json-form'
import { type Picture, readMultipartEdit } from './read-multipart'

export interface EditBody {
  fields: EditFields
  request: NormalizedImageRequest
  /** What goes upstream besides the prompt: the fields, and every stored picture. */
  payload: UpstreamPayload
}

const refuse = (message: string, param: string | null, code: string): never =>
  fail({ kind: 'invalid_request', message, param, code })

/** Validates with a zod schema, refusing as every route does (the first issue, named). */
function validated<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data)
  rejectInvalid({ ...result, data })
  return result.data as T
}

/** How an edit's body is read: who may have pictures fetched and from where, and for how long. */
export interface EditBodyRules {
  urls: UrlInputRules
  /** REQUEST_BODY_TIMEOUT_MS. */
  bodyTimeoutMs: number
  /** Refuses (throws) a request the caller may not make, while the pictures are still the reader's. */
  admit: (request: NormalizedImageRequest) => void
}

/** An edit's body read and its pictures stored. */
export async function readEditBody(
  request: Request,
  store: InputStore,
  rules: EditBodyRules,
): Promise<EditBody> {
  const type = request.headers.get('content-type')
  const body = request.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
  const boundary = boundaryOf(type)
  let pictures: { images: Picture[]; mask: Picture | null }
  let fields: EditFields
  if (boundary) {
    const read = await readMultipartEdit(body, boundary, store, rules.bodyTimeoutMs)
    pictures = read
    try {
      fields = validated(editFormSchema, read.fields)
      if (read.images.length === 0) {
        refuse("Missing required parameter: 'image'.", 'image', 'missing_required_parameter')
      }
    } catch (error) {
      await store.discard(objectsOf(read))
      throw error
    }
  } else if (type && /^multipart\/form-data/i.test(type)) {
    return refuse(
      'A multipart/form-data body needs a boundary in its Content-Type.',
      null,
      'invalid_multipart',
    )
  } else if (type && /^application\/json\s*(;|$)/i.test(type)) {
    ;({ fields, pictures } = await readJsonForm(body, store, rules))
  } else {
    return fail({ kind: 'unsupported_media_type', received: type, accepts: ['multipart', 'json'] })
  }
  try {
    checkMask(pictures)
    const normalized = normalizeEdit(fields, {
      images: pictures.images.map((p) => p.stored.image),
      mask: pictures.mask?.stored.image ?? null,
    })
    const files = [...pictures.images, ...(pictures.mask ? [pictures.mask] : [])].map(upstreamFile)
    rules.admit(normalized)
    const payload: UpstreamPayload = { kind: 'edit', fields: editUpstreamFields(fields), files }
    return { fields, request: normalized, payload }
  } catch (error) {
    await store.discard(objectsOf(pictures))
    throw error
  }
}

/**
 * The JSON form: the document validated, then each picture had (stored, or fetched now, all
 * fetches within one deadline). Every stored picture is used: only images.N.image_url and
 * mask.image_url take one, each at most once (a repeated key is refused), and a marker counts
 * only where it was put.
 */
async function readJsonForm(
  body: ReadableStream<Uint8Array>,
  store: InputStore,
  rules: EditBodyRules,
) {
  const { document, values } = await readJsonEdit(body, store, rules.bodyTimeoutMs)
  const had: Picture[] = []
  const fetches = deadline(URL_FETCH_TIMEOUT_MS)
  try {
    const { images, mask, ...fields } = validated(editJsonSchema, document)
    const wanted = [
      ...images.map((image, i) => ({ url: image.image_url, param: `images.${i}.image_url` })),
      ...(mask ? [{ url: mask.image_url, param: 'mask.image_url' }] : []),
    ].map(({ url, param }) => ({ value: markedValue(values, url, param), param }))
    // Every URL is judged before any is fetched, so a refused one costs no download.
    const link = wanted.find(({ value }) => value.kind === 'url')
    if (link) requireUrlCaller(rules.urls, link.param)
    const judged = wanted.map(({ value, param }) => ({
      value,
      param,
      target: value.kind === 'url' ? allowedUrl(value.url, param, rules.urls.policy) : null,
    }))
    const picture = async ({ value, param, target }: (typeof judged)[number], field: string) => {
      const stored =
        value.kind === 'data'
          ? await value.stored
          : await fetchInput(
              target as URL,
              new InputWriter(store, value.index, value.rules),
              param,
              rules.urls.policy,
              fetches.signal,
            )
      const taken = { field, param, filename: null, stored }
      had.push(taken)
      return taken
    }
    const pictures: { images: Picture[]; mask: Picture | null } = { images: [], mask: null }
    for (const [i, want] of judged.entries()) {
      const taken = await picture(want, i < images.length ? 'image[]' : 'mask')
      if (i < images.length) pictures.images.push(taken)
      else pictures.mask = taken
    }
    return { fields: fields as EditFields, pictures }
  } catch (error) {
    await discardValues(store, values)
    await store.discard(had.map((p) => p.stored.object))
    throw error
  } finally {
    fetches.clear()
  }
}

/**
 * The value an image_url stood for (its marker, where it was taken out), or a 400 when it was not
 * one we took out there (a marker written by the client elsewhere stands for nothing).
 */
function markedValue(values: UrlValue[], url: string | undefined, param: string): UrlValue {
  const value = url?.startsWith(MARKER) ? values[Number(url.slice(MARKER.length))] : undefined
  if (value?.param === param) return value
  return refuse(`'${param}' must be an https URL or a data: URL.`, param, 'invalid_image_url')
}

/** A mask must be a png with transparency, the size of the first picture. */
function checkMask({ images, mask }: { images: Picture[]; mask: Picture | null }): void {
  if (!mask) return
  const { param } = mask
  const { image, alpha } = mask.stored
  if (image.format !== 'png')
    refuse(`The mask must be a png (it is a ${image.format}).`, param, 'invalid_mask')
  if (!alpha) {
    refuse(
      'The mask has no alpha channel: its fully transparent pixels mark where to edit, so it must be a png with transparency.',
      param,
      'invalid_mask',
    )
  }
  const first = images[0]?.stored.image
  if (first && (first.width !== image.width || first.height !== image.height)) {
    refuse(
      `The mask is ${image.width}x${image.height} but the first image is ${first.width}x${first.height}: they must be the same size.`,
      param,
      'invalid_mask',
    )
  }
}

/** A picture as the upstream gets it: the client's field and filename, the sniffed type. */
function upstreamFile(picture: Picture, i: number): UpstreamFile {
  const { image, object } = picture.stored
  const fallback =
    picture.field === 'mask' ? `mask.${image.format}` : `image-${i + 1}.${image.format}`
  return {
    field: picture.field,
    filename: safeFilename(picture.filename ?? '', fallback),
    contentType: IMAGE_TYPES[image.format],
    bytes: image.bytes,
    object,
  }
}

function objectsOf({ images, mask }: { images: Picture[]; mask: Picture | null }): string[] {
  return [...images, ...(mask ? [mask] : [])].map((p) => p.stored.object)
}
