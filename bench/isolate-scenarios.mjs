// The scenarios of `npm run bench:isolates`, each measured per isolate by bench/isolate-harness.mjs:
// big misses, streams, coalesced and slow clients, a 90 MB edit upload (memory); misses, stream
// misses, embed streams and hits (CPU).

import { startWranglerDev } from '../scripts/wrangler-dev.mjs'
import {
  drain,
  drainThrottled,
  eventLags,
  pct,
  post,
  postEdit,
  signedEmbedStreams,
  sleep,
  unique,
  visit,
} from './isolate-clients.mjs'
import { measureCpu, measureMemory } from './isolate-harness.mjs'

const NO_CACHE = { 'cache-control': 'no-cache' }
const CPU_RUNS = Number(process.env.BENCH_CPU_RUNS ?? 30)
const SLOW_WINDOW_MS = Number(process.env.BENCH_SLOW_WINDOW_MS ?? 20_000)
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`

/** Concurrent misses answered as JSON; returns what the clients received. */
async function concurrentMisses(base, clients, body) {
  const sizes = await Promise.all(
    Array.from({ length: clients }, () =>
      drain(post(base, { ...body, prompt: unique(body.prompt) }, NO_CACHE)),
    ),
  )
  return `${mb(sizes.reduce((a, b) => a + b, 0))} answered`
}

/** Ten clients with the same stream request, started together; `read` drains one answer. */
async function coalesced({ base, upstreamCalls }, read) {
  const calls = upstreamCalls()
  const body = { prompt: unique('bytes=5000000'), n: 2, stream: true, partial_images: 2 }
  const caches = {}
  const sizes = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const res = await post(base, body)
      const cache = res.headers.get('x-cache') ?? 'no x-cache'
      caches[cache] = (caches[cache] ?? 0) + 1
      return read(res)
    }),
  )
  const how = Object.entries(caches)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
  const total = mb(sizes.reduce((a, b) => a + b, 0))
  return `${total} read by 10 clients (${how}; ${upstreamCalls() - calls} upstream call)`
}

export async function memoryScenarios(rig) {
  const { base } = rig
  const memory = (run, options) => measureMemory(rig, run, options)
  return {
    a: await memory(() => concurrentMisses(base, 4, { prompt: 'bytes=3000000', n: 10 })),
    b: await memory(() => concurrentMisses(base, 1, { prompt: 'bytes=12000000', n: 10 })),
    c: await memory(() =>
      concurrentMisses(base, 1, { prompt: 'bytes=9000000', stream: true, partial_images: 3 }),
    ),
    d: await memory(() => coalesced(rig, drain)),
    e: await memory(
      () => {
        const stop = new AbortController()
        setTimeout(() => stop.abort(), SLOW_WINDOW_MS)
        return coalesced(rig, (res) => drainThrottled(res, 2048, stop.signal))
      },
      { timeoutMs: SLOW_WINDOW_MS + 60_000 },
    ),
  }
}

/**
 * One edit uploading 90 MB (two 45 MB pictures, under the 100 MB request limit of the Free and Pro
 * plans), answered as JSON: the worker hashes and stores the pictures as they arrive, the owner
 * streams them from R2 to the upstream.
 */
export function editScenario(rig) {
  const bytes = 45 * 1e6
  return measureMemory(
    rig,
    async () => {
      const started = Date.now()
      const before = rig.received().length
      const size = await drain(postEdit(rig.base, { prompt: unique('bytes=1000000'), bytes }))
      const sent = rig
        .received()
        .slice(before)
        .find((body) => body.edit)?.edit
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const upstream = sent ? `${mb(sent.bytes)} with ${sent.files} pictures` : 'nothing'
      return `${mb(2 * bytes)} uploaded and answered (${mb(size)}) in ${seconds} s; the upstream received ${upstream}`
    },
    { timeoutMs: 300_000 },
  )
}

/** A URL of a stored 1 MB image, and a 1 MB result in the cache for base64 hits. */
async function primeHits(base) {
  const stored = await post(base, { prompt: 'bench bytes=1000000 stored', response_format: 'url' })
  const { data } = await stored.json()
  const hit = { prompt: 'bench bytes=1000000 hit' }
  await drain(post(base, hit))
  await sleep(500)
  const check = await post(base, hit)
  await drain(check)
  return { url: data[0].url, hit, hitCache: check.headers.get('x-cache') }
}

export async function cpuScenarios(rig) {
  const { base } = rig
  const cpu = (runs, send, label) => measureCpu(rig, runs, send, { label })
  const results = {
    floor: await cpu(CPU_RUNS, () => fetch(`${base}/models`), 'floor'),
    miss: await cpu(
      CPU_RUNS,
      () => post(base, { prompt: unique('bytes=1000000 interval=5') }, NO_CACHE),
      'miss',
    ),
    // The same key regenerated: its owner exists, so local dev's cost of creating a Durable
    // Object (its SQLite storage, paid synchronously by the caller's isolate) is left out.
    missOwned: await (async () => {
      const body = { prompt: unique('bytes=1000000 interval=5') }
      return cpu(CPU_RUNS, () => post(base, body, NO_CACHE), 'miss-owned')
    })(),
    streamMiss: await cpu(
      CPU_RUNS,
      () =>
        post(
          base,
          { prompt: unique('bytes=1000000 interval=5'), stream: true, partial_images: 3 },
          NO_CACHE,
        ),
      'stream-miss',
    ),
    // A page's <gpt-image> watching a signed embed URL with stream=1: partials, then a URL.
    embedStream: await (async () => {
      const urls = await signedEmbedStreams(base, 2 * CPU_RUNS + 3, 'bytes=1000000 interval=5', 3)
      return cpu(CPU_RUNS, (i) => visit(urls[i + 3]), 'embed-stream')
    })(),
    // An edit uploading one 8 MB picture: hashing, probing and storing it is per-byte work.
    editMiss: await cpu(
      Math.ceil(CPU_RUNS / 3),
      () => postEdit(base, { prompt: unique('bytes=1000000'), pictures: 1, bytes: 8e6 }),
      'edit-miss',
    ),
  }
  try {
    const { url, hit, hitCache } = await primeHits(base)
    results.file = await cpu(CPU_RUNS, () => fetch(url), 'file')
    const hitCpu = await cpu(CPU_RUNS, () => post(base, hit), 'hit')
    results.hit = { ...hitCpu, note: `x-cache ${hitCache}` }
    // The same hit answered with URLs reads no image: what a hit costs besides its bytes.
    const urls = { ...hit, response_format: 'url' }
    results.hitUrl = await cpu(CPU_RUNS, () => post(base, urls), 'hit-url')
  } catch (error) {
    results.file = { failed: `no stored image: ${error.message}` }
    results.hit = { failed: results.file.failed, note: 'not run' }
    results.hitUrl = { failed: results.file.failed }
  }
  return results
}

/**
 * Lag of each 2 MB event (1.5 MB image as base64) behind the fake: direct, through a worker that
 * passes the answer through untouched (the runtime's own floor), and through the gateway.
 */
export async function lagScenario(rig, fakeUrl, runs = 10) {
  const body = () => ({
    prompt: unique('bytes=1500000 interval=100'),
    stream: true,
    partial_images: 3,
  })
  const collect = async (target) => {
    const lags = []
    for (let i = 0; i < runs; i++) lags.push(...(await eventLags(post(target, body(), NO_CACHE))))
    return lags
  }
  try {
    const proxy = await startWranglerDev({
      port: rig.port + 1,
      config: 'bench/proxy.wrangler.toml',
      vars: { UPSTREAM_BASE_URL: fakeUrl },
      readyPath: '/v1/ready',
    })
    try {
      const floorBase = `${proxy.url}/v1`
      await collect(fakeUrl) // warm-up
      await collect(floorBase)
      await eventLags(post(rig.base, body(), NO_CACHE))
      // Interleaved, so a noisy moment on this shared machine hits all three alike.
      const lags = { direct: [], floor: [], gateway: [] }
      for (let i = 0; i < runs; i++) {
        lags.direct.push(...(await eventLags(post(fakeUrl, body(), NO_CACHE))))
        lags.floor.push(...(await eventLags(post(floorBase, body(), NO_CACHE))))
        lags.gateway.push(...(await eventLags(post(rig.base, body(), NO_CACHE))))
      }
      const summary = (values) => ({ p50: pct(values, 50), p99: pct(values, 99), n: values.length })
      return {
        direct: summary(lags.direct),
        floor: summary(lags.floor),
        gateway: summary(lags.gateway),
      }
    } finally {
      await proxy.stop()
    }
  } catch (error) {
    return { failed: error.message }
  }
}

/** Which parts a Server-Timing header names (`r2`, `edge`, ...). */
const timingParts = (res) =>
  (res.headers.get('server-timing') ?? '').split(',').map((part) => part.trim().split(';')[0])

/**
 * 100 views of one stored image next to first views of 20 different ones: how many touched R2
 * (the answer's Server-Timing names `r2` when it was read) and the time per view, client-side.
 */
export async function edgeScenario(rig, views = 100, firsts = 20) {
  try {
    const urls = []
    for (let i = 0; i < firsts + 1; i++) {
      const res = await post(rig.base, { prompt: unique('bytes=200000'), response_format: 'url' })
      urls.push((await res.json()).data[0].url)
    }
    await sleep(500)
    const view = async (url) => {
      const started = performance.now()
      const res = await fetch(url)
      await res.arrayBuffer()
      return { ms: performance.now() - started, r2: timingParts(res).includes('r2') }
    }
    const first = []
    for (const url of urls.slice(1)) first.push(await view(url))
    const repeated = []
    for (let i = 0; i < views; i++) {
      repeated.push(await view(urls[0]))
      if (i === 0) await sleep(300) // the first view fills the cache after its answer
    }
    const summary = (list) => ({
      r2: list.filter((v) => v.r2).length,
      p50: pct(
        list.map((v) => v.ms),
        50,
      ),
      n: list.length,
    })
    return { first: summary(first), repeated: summary(repeated) }
  } catch (error) {
    return { failed: error.message }
  }
}
