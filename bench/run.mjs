// `npm run bench`: the gateway under `wrangler dev` (workerd) against a loopback fake upstream,
// side by side with direct calls to the same fake in the same run. Prints one markdown table:
// added latency to headers and per streamed event (p50/p99), workerd CPU ms per request for a
// hit, a miss and a stream miss, and peak memory growth for n=10 images of 3 MB.
import { startFakeUpstream } from './fake-upstream.mjs'
import { startGateway, stopGateway } from './gateway.mjs'
import { startPortkey } from './peer.mjs'
import { cpuMs, memoryMb, resetPeak } from './process-stats.mjs'

const PORT = Number(process.env.BENCH_PORT ?? 8799)
const GATEWAY = `http://127.0.0.1:${PORT}/v1`
const now = () => performance.timeOrigin + performance.now()
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}
const ms = (value) => `${value.toFixed(1)} ms`
let counter = 0

async function post(base, body, headers = {}) {
  return fetch(`${base}/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...headers },
    body: JSON.stringify(body),
  })
}

/** Time to response headers, ms, over `runs` fresh (uncached) requests. */
async function headerLatencies(base, runs, headers = {}) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = now()
    const res = await post(
      base,
      { prompt: `bench bytes=1024 #${counter++}` },
      { 'cache-control': 'no-cache', ...headers },
    )
    times.push(now() - started)
    await res.arrayBuffer()
  }
  return times
}

/** How late each streamed event arrives after the fake sent it, ms. */
async function eventLags(base, runs) {
  const lags = []
  for (let i = 0; i < runs; i++) {
    const res = await post(
      base,
      {
        prompt: `bench bytes=200000 events=5 interval=40 #${counter++}`,
        stream: true,
        partial_images: 3,
      },
      { 'cache-control': 'no-cache' },
    )
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = /^data: (.*)$/m.exec(frame)?.[1]
        if (data) lags.push(now() - JSON.parse(data).sent_at)
        end = buffer.indexOf('\n\n')
      }
    }
  }
  return lags
}

/** workerd CPU ms per request for `runs` requests made by `send`. */
async function cpuPerRequest(pid, runs, send) {
  const before = cpuMs(pid)
  for (let i = 0; i < runs; i++) await (await send(i)).arrayBuffer()
  await new Promise((resolve) => setTimeout(resolve, 300)) // background stores finish
  return (cpuMs(pid) - before) / runs
}

/** Growth of a process's peak memory while it passes n=10 images of 3 MB each through. */
async function peakGrowth(pids, base, headers = {}) {
  const reset = resetPeak(pids)
  const before = memoryMb(pids)
  const big = await post(base, { prompt: `bench bytes=3000000 #${counter++}`, n: 10 }, headers)
  let received = 0
  for await (const chunk of big.body) received += chunk.length
  await new Promise((resolve) => setTimeout(resolve, 1000))
  return { growth: memoryMb(pids).peak - before.rss, received, reset }
}

const fake = await startFakeUpstream()
const gateway = await startGateway(fake.url, PORT)
const peer = await startPortkey(PORT + 2, fake.url)
try {
  if (gateway.pids.length === 0) throw new Error('could not find the workerd processes')
  await headerLatencies(GATEWAY, 5) // warm up both paths
  await headerLatencies(fake.url, 5)

  // Memory first, while the heaps are still small, so growth is not hidden by earlier garbage.
  const memory = await peakGrowth(gateway.pids, GATEWAY)
  const peerMemory = await peakGrowth([peer.pid], peer.url, peer.headers)

  // What the peer forwards of a full request (the fake records every body it receives).
  const full = {
    model: 'gpt-image-1',
    prompt: 'bench bytes=1024 probe',
    n: 1,
    size: '1024x1024',
    quality: 'high',
    background: 'opaque',
    moderation: 'low',
    output_format: 'jpeg',
    output_compression: 80,
    user: 'u',
  }
  await (await post(peer.url, full, peer.headers)).arrayBuffer()
  const forwarded = fake.received.at(-1) ?? {}
  const dropped = Object.keys(full).filter((field) => !(field in forwarded))
  const peerStream = await post(
    peer.url,
    { prompt: 'bench bytes=1024 events=3 interval=5 probe', stream: true, partial_images: 2 },
    peer.headers,
  )
  const peerStreams = (peerStream.headers.get('content-type') ?? '').includes('event-stream')
  await peerStream.arrayBuffer()

  const directHeaders = await headerLatencies(fake.url, 40)
  const viaHeaders = await headerLatencies(GATEWAY, 40)
  await headerLatencies(peer.url, 5, peer.headers)
  const peerHeaders = await headerLatencies(peer.url, 40, peer.headers)
  const cpuPeerMiss = await cpuPerRequest([peer.pid], 30, () =>
    post(peer.url, { prompt: `bench bytes=1000000 #${counter++}` }, peer.headers),
  )
  const directLags = await eventLags(fake.url, 8)
  const viaLags = await eventLags(GATEWAY, 8)

  const cpuBaseline = await cpuPerRequest(gateway.pids, 40, () => fetch(`${GATEWAY}/nothing`))
  const hitBody = { prompt: 'bench bytes=1000000 hit' }
  await (await post(GATEWAY, hitBody)).arrayBuffer()
  await new Promise((resolve) => setTimeout(resolve, 500))
  const cpuHit = await cpuPerRequest(gateway.pids, 40, () => post(GATEWAY, hitBody))
  const cpuHitUrl = await cpuPerRequest(gateway.pids, 40, () =>
    post(GATEWAY, { ...hitBody, response_format: 'url' }),
  )
  const { data } = await (await post(GATEWAY, { ...hitBody, response_format: 'url' })).json()
  const cpuFile = await cpuPerRequest(gateway.pids, 40, () => fetch(data[0].url))
  const cpuMiss = await cpuPerRequest(gateway.pids, 30, () =>
    post(GATEWAY, { prompt: `bench bytes=1000000 #${counter++}` }),
  )
  const cpuStream = await cpuPerRequest(gateway.pids, 20, () =>
    post(GATEWAY, {
      prompt: `bench bytes=200000 events=3 interval=5 #${counter++}`,
      stream: true,
      partial_images: 2,
    }),
  )

  const na = 'n/a'
  const rows = [
    [
      'Time to headers, p50 (1 KB image, uncached)',
      ms(pct(directHeaders, 50)),
      ms(pct(viaHeaders, 50)),
      ms(pct(peerHeaders, 50)),
      '',
    ],
    [
      'Time to headers, p99',
      ms(pct(directHeaders, 99)),
      ms(pct(viaHeaders, 99)),
      ms(pct(peerHeaders, 99)),
      '',
    ],
    [
      'Lag per streamed event, p50 (200 KB events)',
      ms(pct(directLags, 50)),
      ms(pct(viaLags, 50)),
      peerStreams ? '?' : 'cannot stream images',
      'target: ≤ 5 ms added',
    ],
    [
      'Lag per streamed event, p99',
      ms(pct(directLags, 99)),
      ms(pct(viaLags, 99)),
      peerStreams ? '?' : na,
      '',
    ],
    [
      "CPU per trivial request (404; the runtime's own floor)",
      na,
      ms(cpuBaseline),
      na,
      'workerd floor',
    ],
    [
      'CPU per GET of a stored 1 MB image (R2 read, almost no gateway code)',
      na,
      ms(cpuFile),
      na,
      'floor for moving 1 MB',
    ],
    ['CPU per cache hit (1 MB image, base64 JSON)', na, ms(cpuHit), 'no cache', 'target: ≤ 1 ms'],
    ['CPU per cache hit (response_format url)', na, ms(cpuHitUrl), 'no cache', 'target: ≤ 1 ms'],
    [
      'CPU per miss (1 MB image; ours also stores it in R2)',
      na,
      ms(cpuMiss),
      ms(cpuPeerMiss),
      'target: ≤ 10 ms',
    ],
    [
      'CPU per stream miss (2 partials + completed, 200 KB each)',
      na,
      ms(cpuStream),
      na,
      'target: ≤ 10 ms',
    ],
    [
      `Peak memory growth, n=10 × 3 MB miss (${(memory.received / 1e6).toFixed(0)} MB answered)`,
      na,
      `${memory.growth.toFixed(1)} MB`,
      `${peerMemory.growth.toFixed(1)} MB`,
      `target: ≤ 64 MB${memory.reset ? '' : ' (peak not resettable: upper bound)'}`,
    ],
  ]
  console.log(
    `\nBenchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}\n`,
  )
  console.log(
    '| Measure | Direct to fake upstream | This gateway (workerd) | Portkey gateway 1.15 (Node) | Note |',
  )
  console.log('|---|---|---|---|---|')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  console.log(
    `\nPortkey forwards a full gpt-image request without: ${dropped.join(', ') || 'nothing'}; with stream: true it ${peerStreams ? 'streams' : 'answers no event stream'}.`,
  )
  console.log(
    "Our CPU is summed over the local runtime's workerd processes (dev proxy, asset router, simulated R2 and the gateway); Portkey's is its Node process. The floor rows show what the runtime itself costs; production R2 runs elsewhere.",
  )
} finally {
  peer.stop()
  fake.close()
  await stopGateway(gateway)
}
