// Talks to the gateway: POST /v1/images/generations (JSON) and /v1/images/edits (multipart, with
// the pictures and mask), reading server-sent events as they arrive (fetch + a small SSE reader,
// since EventSource cannot POST). Errors come back as GatewayError carrying OpenAI's envelope.

export class GatewayError extends Error {
  constructor(status, error) {
    super(error?.message ?? `The gateway answered ${status}.`)
    this.status = status
    this.code = error?.code ?? null
    this.param = error?.param ?? null
  }
}

function headersFor(key, fresh) {
  const headers = {}
  if (key) headers.authorization = `Bearer ${key}`
  if (fresh) headers['cache-control'] = 'no-cache'
  return headers
}

/** Reads `event:`/`data:` blocks from a streamed body (WHATWG SSE, enough for this API). */
async function* readEvents(body) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data = []
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      }
      if (data.length > 0) yield { event, data: data.join('\n') }
      end = buffer.indexOf('\n\n')
    }
  }
}

/**
 * Generates images. With `request.stream`, calls `onPartial(b64, format, index)` for each
 * preview. Resolves with the image URLs and whether they came from the cache.
 */
export function generate(request, options) {
  const headers = { ...headersFor(options.key, options.fresh), 'content-type': 'application/json' }
  const body = JSON.stringify({ ...request, response_format: 'url' })
  return send('/v1/images/generations', { headers, body }, request, options)
}

/**
 * Edits pictures (`files`, with an optional `mask` png) as `request` says; otherwise like
 * generate(). Fields travel as multipart text, as the openai SDKs send them.
 */
export function edit(request, files, mask, options) {
  const body = new FormData()
  for (const [name, value] of Object.entries({ ...request, response_format: 'url' }))
    body.append(name, String(value))
  for (const file of files) body.append('image[]', file, file.name)
  if (mask) body.append('mask', mask, 'mask.png')
  return send(
    '/v1/images/edits',
    { headers: headersFor(options.key, options.fresh), body },
    request,
    options,
  )
}

async function send(path, init, request, { signal, onPartial }) {
  const res = await fetch(path, { method: 'POST', ...init, signal })
  const cache = res.headers.get('x-cache')
  if (!res.ok) {
    const body = await res.json().catch(() => null)
    throw new GatewayError(res.status, body?.error)
  }
  if (!request.stream) {
    const body = await res.json()
    return { urls: body.data.map((d) => d.url), cache, usage: body.usage ?? null }
  }
  const urls = []
  let usage = null
  // A generation's events are image_generation.*, an edit's image_edit.*.
  for await (const { event, data } of readEvents(res.body)) {
    const payload = JSON.parse(data)
    if (event.endsWith('.partial_image'))
      onPartial?.(payload.b64_json, payload.output_format, payload.partial_image_index)
    else if (event.endsWith('.completed')) {
      urls.push(payload.url)
      usage = payload.usage ?? usage
    } else if (event === 'error') throw new GatewayError(200, payload.error)
  }
  if (urls.length === 0)
    throw new GatewayError(200, {
      message: 'The stream ended before the picture was finished. Try again.',
    })
  return { urls, cache, usage }
}

/** The gateway's models and what each accepts (GET /v1/models). */
export async function loadCapabilities() {
  const res = await fetch('/v1/models')
  if (!res.ok) throw new GatewayError(res.status, (await res.json().catch(() => null))?.error)
  return res.json()
}
