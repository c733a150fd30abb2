// `node bench/batch.mjs`: a 200-item warm-up batch through the real local queues (`wrangler dev`)
// against a capacity-limited fake upstream (at most CAPACITY calls at once, each DELAY_MS long,
// 429 with Retry-After beyond). Reports the time to finish next to the capacity bound, items lost
// (not ended, goal 0), pictures paid twice (a prompt answered 200 more than once, goal 0), and
// the worker isolate's CPU per item (consumer, records and owners share that isolate here).
// BENCH_POOLED=1: the upstream is one pool entry whose fake enforces BENCH_PER_MINUTE images a
// minute, declared as its images_per_minute, so items wait for capacity instead of meeting 429s.
// BENCH_PER_MINUTE alone: the same fake as the single legacy upstream (429s, retried by the queue).
import { createServer } from 'node:http'
import { fakeImageB64 } from './fake-upstream.mjs'
import { startGateway, stopGateway } from './gateway.mjs'
import { findInspector, listTargets, openSession } from './inspector.mjs'
import { startCpu, stopCpu } from './isolate-meters.mjs'
import { startLimitedFake } from './pool-fakes.mjs'

const ITEMS = Number(process.env.BENCH_ITEMS ?? 200)
const DUPLICATES = Math.floor(ITEMS / 10)
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 4)
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 500)
const PORT = Number(process.env.BENCH_PORT ?? 8781)
const POOLED = process.env.BENCH_POOLED === '1'
const PER_MINUTE_FAKE = POOLED || process.env.BENCH_PER_MINUTE !== undefined
const PER_MINUTE = Number(process.env.BENCH_PER_MINUTE ?? 120)
const POOL_KEY = 'bench-pool-key'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function startCapacityUpstream() {
  const stats = { inFlight: 0, peak: 0, refused: 0, paid: new Map() }
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk) => (text += chunk))
    req.on('end', async () => {
      if (stats.inFlight >= CAPACITY) {
        stats.refused++
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
        res.end(
          '{"error":{"message":"busy","type":"rate_limit_error","code":"rate_limit_exceeded"}}',
        )
        return
      }
      stats.inFlight++
      stats.peak = Math.max(stats.peak, stats.inFlight)
      await sleep(DELAY_MS)
      const { prompt } = JSON.parse(text)
      stats.paid.set(prompt, (stats.paid.get(prompt) ?? 0) + 1)
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_batch' })
      res.end(
        JSON.stringify({
          created: Math.floor(Date.now() / 1000),
          data: [{ b64_json: fakeImageB64(4096) }],
          usage: { input_tokens: 10, output_tokens: 1056, total_tokens: 1066 },
        }),
      )
      stats.inFlight--
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, stats, url: `http://127.0.0.1:${server.address().port}/v1` }),
    ),
  )
}

/** A per-minute limit, declared to the gateway's pool (pooled) or not (the legacy upstream). */
async function startPerMinuteUpstream() {
  const fake = await startLimitedFake({
    kind: 'openai',
    perMinute: PER_MINUTE,
    genMs: DELAY_MS,
    key: POOL_KEY,
  })
  const entry = { name: 'limited', kind: 'openai', base_url: fake.url, key: 'BENCH_POOL_KEY' }
  const vars = POOLED
    ? {
        UPSTREAMS: JSON.stringify([{ ...entry, images_per_minute: PER_MINUTE }]),
        BENCH_POOL_KEY: POOL_KEY,
        UPSTREAM_QUEUE_TIMEOUT_MS: '300000',
      }
    : { UPSTREAM_BASE_URL: fake.url, UPSTREAM_API_KEY: POOL_KEY }
  const stats = { peak: '-', refused: 0, fake: fake.stats }
  return { server: { close: fake.close }, stats, url: fake.url, vars }
}

const upstream = PER_MINUTE_FAKE ? await startPerMinuteUpstream() : await startCapacityUpstream()
const gateway = await startGateway(upstream.url, PORT, upstream.vars ?? null)
const call = async (path, body) => {
  const res = await fetch(`${gateway.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}
try {
  const inspector = await findInspector(gateway.pids)
  const targets = await listTargets(inspector.addr)
  const target = targets.find((t) => t.id === 'core:user:gpt-image-gateway')
  const session = target ? await openSession(target.webSocketDebuggerUrl) : null
  const distinct = ITEMS - DUPLICATES
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    prompt: `bench batch picture ${i < distinct ? i : i - distinct}`,
  }))
  if (session) await startCpu(session, 1000)
  const started = performance.now()
  const { id } = await call('/v1/images/batches', { items })
  let batch
  for (;;) {
    batch = await call(`/v1/images/batches/${id}`)
    if (batch.counts.queued + batch.counts.in_progress === 0) break
    await sleep(250)
  }
  const seconds = (performance.now() - started) / 1000
  const cpu = session ? await stopCpu(session, 1000) : null
  const lanes = PER_MINUTE_FAKE ? 5 : Math.min(CAPACITY, 5)
  // Pooled: any 60 s admit PER_MINUTE calls, so the last starts after floor((d-1)/R) minutes.
  const bound = PER_MINUTE_FAKE
    ? Math.floor((distinct - 1) / PER_MINUTE) * 60 + DELAY_MS / 1000
    : (Math.ceil(distinct / CAPACITY) * DELAY_MS) / 1000
  if (PER_MINUTE_FAKE) upstream.stats.refused = upstream.stats.fake.limited
  // Every distinct prompt is paid once, so images served beyond them were paid twice.
  const paidTwice = PER_MINUTE_FAKE
    ? Math.max(0, upstream.stats.fake.served - distinct)
    : [...upstream.stats.paid.values()].filter((n) => n > 1).length
  const ended = ITEMS - batch.counts.queued - batch.counts.in_progress
  console.log(`| Measure | Value |\n|---|---|`)
  console.log(`| Items (distinct prompts) | ${ITEMS} (${distinct}) |`)
  const declared = POOLED ? 'declared to the pool' : 'legacy upstream, 429s'
  const capacity = PER_MINUTE_FAKE ? `${PER_MINUTE} a minute (${declared})` : `${CAPACITY} at once`
  console.log(`| Upstream capacity, call time | ${capacity}, ${DELAY_MS} ms |`)
  console.log(`| Time to finish | ${seconds.toFixed(1)} s |`)
  console.log(`| Capacity bound | ${bound.toFixed(1)} s |`)
  console.log(`| Local queue lanes (one batch of 5 at a time) | ${lanes} |`)
  console.log(`| Counts | ${JSON.stringify(batch.counts)} |`)
  console.log(`| Items lost (not ended) | ${ITEMS - ended} |`)
  console.log(`| Pictures paid twice | ${paidTwice} |`)
  console.log(
    `| Upstream peak in flight, 429s | ${upstream.stats.peak}, ${upstream.stats.refused} |`,
  )
  if (cpu)
    console.log(
      `| Worker isolate CPU per item | ${(cpu.cpuMs / ITEMS).toFixed(2)} ms (GC ${(cpu.gcMs / ITEMS).toFixed(2)}) |`,
    )
  session?.close()
} finally {
  await stopGateway(gateway)
  upstream.server.close()
}
