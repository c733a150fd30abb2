// Clients for `npm run bench:isolates`: requests to the gateway or the fake upstream, readers at
// full speed or throttled, the lag of each streamed event behind the fake's `sent_at`, and edits
// whose large multipart body is generated as it is sent (never held here either).

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => performance.timeOrigin + performance.now()
let counter = 0

/** A prompt no earlier request used, carrying the fake's knobs. */
export const unique = (knobs) => `bench ${knobs} #${process.pid}-${counter++}`

export function post(base, body, headers = {}, signal) {
  return fetch(`${base}/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...headers },
    body: JSON.stringify(body),
    signal,
  })
}

/** Signed embed URLs (via POST /images/embed/sign), each for its own picture, watched with stream=1. */
export async function signedEmbedStreams(base, count, knobs, partials) {
  const urls = []
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${base}/images/embed/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
      body: JSON.stringify({ prompt: unique(knobs), partial_images: partials }),
    })
    if (!res.ok) throw new Error(`signing: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
    urls.push(`${(await res.json()).url}&stream=1`)
  }
  return urls
}

/** A visitor's GET of an embed URL, from a documentation address. */
export const visit = (url) => fetch(url, { headers: { 'cf-connecting-ip': '203.0.113.9' } })

/** The head of a png of `width`×`height` (RGB): signature, IHDR, then an IDAT that the zeros fill. */
function pngHead(width, height) {
  const head = Buffer.alloc(8 + 25 + 8)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head)
  head.writeUInt32BE(13, 8)
  head.write('IHDR', 12, 'latin1')
  head.writeUInt32BE(width, 16)
  head.writeUInt32BE(height, 20)
  head[24] = 8 // bit depth
  head[25] = 2 // RGB
  head.writeUInt32BE(0x7fffffff, 33)
  head.write('IDAT', 37, 'latin1')
  return head
}

/**
 * POST /images/edits with `pictures` pictures of `bytes` bytes each, as multipart streamed from a
 * generator (chunked, 256 KiB at a time): the gateway sees a body of their total size.
 */
export function postEdit(base, { prompt, pictures = 2, bytes }, headers = {}) {
  const boundary = `bench-${process.pid}-${counter++}`
  async function* parts() {
    const zeros = new Uint8Array(256 * 1024)
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n${prompt}\r\n`,
    )
    for (let i = 0; i < pictures; i++) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="p${i}.png"\r\nContent-Type: image/png\r\n\r\n`,
      )
      const head = pngHead(4000, 3000)
      yield head
      for (let left = bytes - head.length; left > 0; left -= zeros.length) {
        yield left >= zeros.length ? zeros : zeros.subarray(0, left)
      }
      yield Buffer.from('\r\n')
    }
    yield Buffer.from(`--${boundary}--\r\n`)
  }
  return fetch(`${base}/images/edits`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      authorization: 'Bearer bench',
      ...headers,
    },
    body: ReadableStream.from(parts()),
    duplex: 'half',
  })
}

/** Reads a whole answer; throws on a non-2xx status. Returns the bytes read. */
export async function drain(response) {
  const res = await response
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
  let bytes = 0
  for await (const chunk of res.body) bytes += chunk.length
  return bytes
}

/** Reads at about `bytesPerSecond` (read, then sleep for what was read) until `signal` aborts. */
export async function drainThrottled(response, bytesPerSecond, signal) {
  const res = await response
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  const reader = res.body.getReader()
  let bytes = 0
  const aborted = new Promise((resolve) =>
    signal.addEventListener('abort', resolve, { once: true }),
  )
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true })
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read()
      if (done) break
      bytes += value.length
      // One large chunk may stand for minutes at this rate: the window's end interrupts the wait.
      await Promise.race([sleep((value.length / bytesPerSecond) * 1000), aborted])
    }
  } catch (error) {
    if (!signal.aborted) throw error
  }
  return bytes
}

/**
 * Reads an event stream; for each event, the ms between the fake's `sent_at` and the arrival of
 * the chunk holding the event's closing blank line.
 */
export async function eventLags(response) {
  const res = await response
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  const lags = []
  let parts = []
  let previous = 0
  for await (const chunk of res.body) {
    if (chunk.length === 0) continue
    const arrived = now()
    let from = 0
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
      if ((i > 0 ? chunk[i - 1] : previous) !== 10) continue
      parts.push(chunk.subarray(from, i + 1))
      const frame = Buffer.concat(parts).toString()
      parts = []
      from = i + 1
      const sent = /"sent_at":([0-9.]+)/.exec(frame)?.[1]
      if (sent) lags.push(arrived - Number(sent))
    }
    parts.push(chunk.subarray(from))
    previous = chunk[chunk.length - 1]
  }
  return lags
}

export const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}
