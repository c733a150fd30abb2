// Stalled readers in `npm run bench:isolates`: 60 stream clients on one generation that read
// nothing after the headers, beside 60 that read at full speed, in the same run: each isolate's
// peak, the workerd processes' resident memory per client, and what the kernel's TCP buffers hold.

import { drain, post, sleep, unique } from './isolate-clients.mjs'
import { measureMemory } from './isolate-harness.mjs'
import { tcpMemoryMb } from './process-stats.mjs'

const CLIENTS = Number(process.env.BENCH_STALLED_CLIENTS ?? 60)
/**
 * One 6 MB image with two partials: three 8 MB events (a 24 MB answer) a second apart, the
 * partials large enough to be spilled to R2, so a reader that falls behind reads them from there.
 */
const KNOBS = process.env.BENCH_STALLED_KNOBS ?? 'bytes=6000000 interval=1000'
const PARTIALS = Number(process.env.BENCH_STALLED_PARTIALS ?? 2)
/** How long the stalled clients stay connected after their generation ended (past the 10 s park). */
const HOLD_MS = Number(process.env.BENCH_STALLED_HOLD_MS ?? 12_000)

const request = (prompt) => ({ prompt, stream: true, partial_images: PARTIALS })

/**
 * `CLIENTS` clients open the same stream request; `read` gets each response. A URL request for the
 * same prompt joins the generation too and answers once it has ended.
 */
async function onOneGeneration(rig, read) {
  const prompt = unique(KNOBS)
  const calls = rig.upstreamCalls()
  const responses = Array.from({ length: CLIENTS }, () => read(post(rig.base, request(prompt))))
  await sleep(200)
  const ended = await post(rig.base, { prompt, response_format: 'url' })
  if (!ended.ok) throw new Error(`the generation failed: HTTP ${ended.status}`)
  await ended.arrayBuffer()
  return { responses, upstreamCalls: () => rig.upstreamCalls() - calls }
}

/** Clients that take the headers and never read; disconnected after HOLD_MS past the end. */
function stalled(rig) {
  return async () => {
    const tcpBefore = tcpMemoryMb()
    const stop = new AbortController()
    const statuses = {}
    const open = async (pending) => {
      const res = await pending
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      stop.signal.addEventListener('abort', () => res.body?.cancel().catch(() => {}))
    }
    const { responses, upstreamCalls } = await onOneGeneration(rig, (pending) =>
      open(pending).catch((error) => error),
    )
    await Promise.all(responses)
    await sleep(HOLD_MS)
    const kernel = tcpMemoryMb()
    stop.abort()
    const how = Object.entries(statuses).map(([status, n]) => `${n} × ${status}`)
    const buffers =
      kernel === null
        ? ''
        : `; the kernel's TCP buffers then: +${(kernel - tcpBefore).toFixed(0)} MB`
    return `${CLIENTS} clients read nothing (${how.join(', ')}; ${upstreamCalls()} upstream call), held ${HOLD_MS / 1000} s past the end${buffers}`
  }
}

/** Clients that read the whole answer at full speed. */
function reading(rig) {
  return async () => {
    const { responses, upstreamCalls } = await onOneGeneration(rig, (pending) => drain(pending))
    const sizes = await Promise.all(responses)
    const total = sizes.reduce((a, b) => a + b, 0)
    return `${CLIENTS} clients read ${(total / 1e6).toFixed(0)} MB (${upstreamCalls()} upstream call)`
  }
}

/** Both scenarios, the stalled one first; RSS figures per client. */
export async function stalledScenario(rig) {
  const options = { timeoutMs: 180_000, settleMs: 2000 }
  const perClient = (result) => ({
    ...result,
    rssPerClient: result.rss === null ? null : result.rss / CLIENTS,
  })
  const stalledResult = perClient(await measureMemory(rig, stalled(rig), options))
  const readingResult = perClient(await measureMemory(rig, reading(rig), options))
  return { clients: CLIENTS, stalled: stalledResult, reading: readingResult }
}
