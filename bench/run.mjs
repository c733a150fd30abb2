// `npm run bench`: the gateway under `wrangler dev` (workerd) against a loopback fake upstream,
// side by side with direct calls to the same fake in the same run. Prints one markdown table:
// added latency to headers and per streamed event (p50/p99), workerd CPU ms per request for a
// hit, a miss and a stream miss, and peak memory growth for n=10 images of 3 MB.
import { startFakeUpstream } from './fake-upstream.mjs'
import { startGateway, stopGateway } from './gateway.mjs'
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
async function headerLatencies(base, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = now()
    const res = await post(
      base,
      { prompt: `bench bytes=1024 #${counter++}` },
      { 'cache-control': 'no-cache' },
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

const fake = await startFakeUpstream()
const gateway = await startGateway(fake.url, PORT)
try {
  if (gateway.pids.length === 0) throw new Error('could not find the workerd processes')
  await headerLatencies(GATEWAY, 5) // warm up both paths
  await headerLatencies(fake.url, 5)

  // Memory first, while the isolate's heap is still small, so growth is not hidden by earlier garbage.
  const peakReset = resetPeak(gateway.pids)
  const before = memoryMb(gateway.pids)
  const big = await post(GATEWAY, { prompt: `bench bytes=3000000 #${counter++}`, n: 10 })
  let received = 0
  for await (const chunk of big.body) received += chunk.length
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const after = memoryMb(gateway.pids)
  if (process.env.BENCH_DEBUG) console.log({ before, after, peakReset, pid: gateway.pids })

  const directHeaders = await headerLatencies(fake.url, 40)
  const viaHeaders = await headerLatencies(GATEWAY, 40)
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

  const added = (p) => pct(viaHeaders, p) - pct(directHeaders, p)
  const addedLag = (p) => pct(viaLags, p) - pct(directLags, p)
  const rows = [
    [
      'Time to headers, p50 (1 KB image, uncached)',
      ms(pct(directHeaders, 50)),
      ms(pct(viaHeaders, 50)),
      ms(added(50)),
    ],
    ['Time to headers, p99', ms(pct(directHeaders, 99)), ms(pct(viaHeaders, 99)), ms(added(99))],
    [
      'Lag per streamed event, p50 (200 KB events)',
      ms(pct(directLags, 50)),
      ms(pct(viaLags, 50)),
      ms(addedLag(50)),
    ],
    [
      'Lag per streamed event, p99',
      ms(pct(directLags, 99)),
      ms(pct(viaLags, 99)),
      ms(addedLag(99)),
    ],
    [
      "workerd CPU per trivial request (404; the runtime's own floor)",
      '–',
      ms(cpuBaseline),
      'baseline',
    ],
    [
      'workerd CPU per GET of a stored 1 MB image (R2 read, almost no gateway code)',
      '–',
      ms(cpuFile),
      'floor for moving 1 MB',
    ],
    ['workerd CPU per cache hit (1 MB image, base64 JSON)', '–', ms(cpuHit), '≤ 1 ms target'],
    ['workerd CPU per cache hit (response_format url)', '–', ms(cpuHitUrl), '≤ 1 ms target'],
    ['workerd CPU per miss (1 MB image, stored in R2)', '–', ms(cpuMiss), '≤ 10 ms target'],
    [
      'workerd CPU per stream miss (2 partials + completed, 200 KB each)',
      '–',
      ms(cpuStream),
      '≤ 10 ms target',
    ],
    [
      `Peak memory growth, n=10 × 3 MB miss (${(received / 1e6).toFixed(0)} MB answered)`,
      '–',
      `${(after.peak - before.rss).toFixed(1)} MB`,
      `≤ 64 MB target${peakReset ? '' : ' (peak not resettable: upper bound)'}`,
    ],
  ]
  console.log(
    `\nBenchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}\n`,
  )
  console.log('| Measure | Direct to fake upstream | Through the gateway | Added / target |')
  console.log('|---|---|---|---|')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  console.log(
    "\nworkerd CPU is summed over the local runtime's processes: the dev proxy and asset router, the simulated R2 (SQLite and blob files) and the gateway. The two floor rows show what the runtime itself costs; production R2 runs elsewhere.",
  )
} finally {
  fake.close()
  await stopGateway(gateway)
}
