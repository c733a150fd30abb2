// A fake OpenAI images API on loopback for benchmarks: JSON answers with n large images, or SSE
// answers (n images, each with its partial events then its completed event) whose events carry the
// time they were sent (`sent_at`, ms on this process's clock) so a client here can measure lag.
// Edits (multipart) are read to their end and counted, never held, and answered like generations.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Base64 of `bytes` bytes that start like a PNG, made once per size and reused. */
const imageCache = new Map()
export function fakeImageB64(bytes) {
  if (!imageCache.has(bytes)) {
    imageCache.set(
      bytes,
      Buffer.concat([PNG_SIGNATURE, randomBytes(bytes - PNG_SIGNATURE.length)]).toString('base64'),
    )
  }
  return imageCache.get(bytes)
}

const meta = { background: 'opaque', output_format: 'png', quality: 'medium', size: '1024x1024' }
const usage = { input_tokens: 10, output_tokens: 1056, total_tokens: 1066 }

/**
 * Starts the server; `received` collects every request body it got. Knobs come from the request
 * body's `prompt`, e.g. "bench bytes=3000000 events=5 interval=50", so the gateway forwards them
 * untouched. A stream sends, for each of the n images, `events` events (the last one completed);
 * without an `events=` knob that is the request's `partial_images` (default 2) plus one.
 */
export async function startFakeUpstream() {
  const received = []
  const server = createServer(async (req, res) => {
    const body = req.url.endsWith('/images/edits') ? await readEdit(req) : await readJson(req)
    received.push(body)
    const knob = (name, fallback) =>
      Number(new RegExp(`${name}=(\\d+)`).exec(body.prompt)?.[1] ?? fallback)
    const bytes = knob('bytes', 1024)
    const n = body.n ?? 1
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_bench' })
      res.write(`{"created":${Math.floor(Date.now() / 1000)},"data":[`)
      for (let i = 0; i < n; i++) res.write(`${i ? ',' : ''}{"b64_json":"${fakeImageB64(bytes)}"}`)
      res.end(`],${JSON.stringify({ ...meta, usage }).slice(1)}`)
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' })
    const events = knob('events', (body.partial_images ?? 2) + 1)
    const interval = knob('interval', 50)
    for (let image = 0; image < n; image++) {
      for (let i = 0; i < events; i++) {
        await new Promise((resolve) => setTimeout(resolve, interval))
        const last = i === events - 1
        const type = last ? 'image_generation.completed' : 'image_generation.partial_image'
        const payload = {
          type,
          b64_json: fakeImageB64(bytes),
          created_at: 1,
          ...meta,
          sent_at: performance.timeOrigin + performance.now(),
        }
        if (last) payload.usage = usage
        else payload.partial_image_index = i
        if (res.destroyed) return
        res.write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`)
      }
    }
    res.end()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.requestTimeout = 0
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    received,
    close: () => {
      server.close()
      server.closeAllConnections()
    },
  }
}

async function readJson(req) {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return JSON.parse(raw)
}

/**
 * An edit's multipart body, counted as it streams: the text fields come first (the gateway sends
 * them before the pictures), so they are read from its head; the pictures are only counted.
 */
async function readEdit(req) {
  let head = ''
  let bytes = 0
  let files = 0
  for await (const chunk of req) {
    const text = chunk.toString('latin1')
    if (head.length < 64 * 1024) head += text
    files += text.match(/filename="/g)?.length ?? 0
    bytes += chunk.length
  }
  const field = (name) => new RegExp(`name="${name}"\r\n\r\n([^\r]*)`).exec(head)?.[1]
  const number = (name) => (field(name) === undefined ? undefined : Number(field(name)))
  return {
    prompt: field('prompt') ?? '',
    n: number('n'),
    stream: field('stream') === 'true',
    partial_images: number('partial_images'),
    edit: { bytes, files },
  }
}
