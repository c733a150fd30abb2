// Clients for `npm run bench:isolates`: requests to the gateway or the fake upstream, readers at
// full speed or throttled, and the lag of each streamed event behind the fake's `sent_at`.

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
