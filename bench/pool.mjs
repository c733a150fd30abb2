// `node bench/pool.mjs`: the upstream pool under a burst of 3× its per-minute capacity, against an
// OpenAI fake and an Azure fake that enforce their limits (client errors, upstream 429s the
// gateway caused, throughput against the capacities, queue waits), and the CPU a routed request
// costs in the worker and owner isolates, through the pool and through the legacy single upstream.
import { createServer } from 'node:net'
import { connect, measureCpu } from './isolate-harness.mjs'
import { startLimitedFake } from './pool-fakes.mjs'
import { startSplitGateway } from './split/start.mjs'

/** Each of the two upstreams' images a minute (declared, and enforced by its fake). */
const PER_MINUTE = Number(process.env.BENCH_POOL_PER_MINUTE ?? 10)
const GEN_MS = Number(process.env.BENCH_POOL_GEN_MS ?? 300)
const CPU_RUNS = Number(process.env.BENCH_CPU_RUNS ?? 20)
const KEYS = { openai: 'bench-openai-key', azure: 'bench-azure-key' }
const NO_CACHE = { 'cache-control': 'no-cache' }
let counter = 0
const tag = () => `${process.pid}-${counter++}`
const f1 = (value) => value.toFixed(1)

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startGateway(vars) {
  const port = await freePort()
  const gateway = await startSplitGateway({ port, vars: { GATEWAY_KEYS: 'bench', ...vars } })
  const rig = { gateway, port, base: `${gateway.url}/v1`, sessions: {}, targets: [], log: [] }
  await connect(rig)
  return rig
}

async function stopGateway(rig) {
  for (const session of Object.values(rig.sessions)) session.close()
  await rig.gateway.stop()
}

function post(base, body) {
  return fetch(`${base}/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...NO_CACHE },
    body: JSON.stringify(body),
  })
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]

/** Sends 3 × the pool's per-minute capacity at once; waits for every answer. */
async function burst(base, fakes) {
  const count = 3 * 2 * PER_MINUTE
  const sent = new Map()
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const id = tag()
      sent.set(id, Date.now())
      const res = await post(base, { model: 'gpt-image-1', prompt: `bench burst #${id}` })
      await res.arrayBuffer()
      return res.status
    }),
  )
  const errors = answers.filter((status) => status !== 200).length
  const calls = fakes.reduce((sum, fake) => sum + fake.stats.calls, 0)
  const limited = fakes.reduce((sum, fake) => sum + fake.stats.limited, 0)
  const starts = []
  const waits = []
  for (const [id, at] of sent) {
    const arrived = fakes
      .map((fake) => fake.stats.arrivals.get(id))
      .filter((time) => time !== undefined)
    if (arrived.length === 0) continue
    const first = Math.min(...arrived)
    starts.push(first)
    waits.push(first - at)
  }
  starts.sort((a, b) => a - b)
  waits.sort((a, b) => a - b)
  const capacity = 2 * PER_MINUTE
  const first = starts[0] ?? 0
  // The burst's second minute: the queue is full throughout, so every image it could start did.
  const rate = starts.filter((at) => at >= first + 60_000 && at < first + 120_000).length
  const drainS = ((starts.at(-1) ?? 0) - first) / 1000
  return {
    drainS,
    count,
    errors,
    calls,
    limited,
    rate,
    capacity,
    p50: percentile(waits, 0.5),
    p99: percentile(waits, 0.99),
    byUpstream: fakes.map((fake) => fake.stats.served),
  }
}

async function cpu(rig) {
  const send = () => post(rig.base, { model: 'gpt-image-1-mini', prompt: `bench cpu #${tag()}` })
  const result = await measureCpu(rig, CPU_RUNS, send)
  if (result.failed) return { worker: result.failed, owner: result.failed }
  return {
    worker: `${f1(result.worker.perRequest)} ms`,
    owner: `${f1(result.coordinator.perRequest)} ms`,
  }
}

const openai = await startLimitedFake({
  kind: 'openai',
  perMinute: PER_MINUTE,
  genMs: GEN_MS,
  key: KEYS.openai,
})
const azure = await startLimitedFake({
  kind: 'azure',
  perMinute: PER_MINUTE,
  genMs: GEN_MS,
  key: KEYS.azure,
})
const unlimited = await startLimitedFake({
  kind: 'openai',
  perMinute: 1e9,
  genMs: 0,
  key: KEYS.openai,
})
const entries = [
  {
    name: 'primary',
    kind: 'openai',
    base_url: openai.url,
    key: 'BENCH_OPENAI_KEY',
    models: ['gpt-image-1'],
    images_per_minute: PER_MINUTE,
  },
  {
    name: 'azure-east',
    kind: 'azure',
    base_url: azure.url,
    key: 'BENCH_AZURE_KEY',
    api_version: '2025-04-01-preview',
    deployments: { 'gpt-image-1': 'img1' },
    images_per_minute: PER_MINUTE,
  },
  // The CPU rows' upstream (gpt-image-1-mini only): no limit, so nothing waits.
  {
    name: 'cpu',
    kind: 'openai',
    base_url: unlimited.url,
    key: 'BENCH_OPENAI_KEY',
    models: ['gpt-image-1-mini'],
  },
]
const rows = {}
try {
  const pooled = await startGateway({
    UPSTREAMS: JSON.stringify(entries),
    BENCH_OPENAI_KEY: KEYS.openai,
    BENCH_AZURE_KEY: KEYS.azure,
    UPSTREAM_QUEUE_TIMEOUT_MS: '300000',
  })
  try {
    rows.poolCpu = await cpu(pooled)
    rows.burst = await burst(pooled.base, [openai, azure])
  } finally {
    await stopGateway(pooled)
  }
  const legacy = await startGateway({
    UPSTREAM_BASE_URL: unlimited.url,
    UPSTREAM_API_KEY: KEYS.openai,
  })
  try {
    rows.legacyCpu = await cpu(legacy)
  } finally {
    await stopGateway(legacy)
  }
} finally {
  await Promise.all([openai.close(), azure.close(), unlimited.close()])
}

const b = rows.burst
console.log(`
Upstream pool, ${new Date().toISOString()}: two upstreams (OpenAI-kind and Azure-kind fakes), each
${PER_MINUTE} images/min declared and enforced (sliding 60 s, 429 past it), ${GEN_MS} ms per image.

| Measure | Figure | Goal |
|---|---|---|
| Burst | ${b.count} requests at once (3 × ${b.capacity}/min) | |
| Client errors | ${b.errors} | 0 |
| Upstream 429s the gateway caused | ${b.limited} of ${b.calls} calls (${f1((100 * b.limited) / Math.max(1, b.calls))} %) | ≤ 1 % |
| Throughput with the queue full (images started in the burst's second minute) | ${b.rate} of ${b.capacity} (${(b.rate / b.capacity).toFixed(2)}) | ≥ 0.9 |
| Last start after the first | ${f1(b.drainS)} s (with per-minute limits alone: 2 minutes) | |
| Queue wait, p50 / p99 | ${f1(b.p50 / 1000)} s / ${f1(b.p99 / 1000)} s | |
| Images served by each upstream | primary ${b.byUpstream[0]}, azure-east ${b.byUpstream[1]} | |

| CPU per routed request (${CPU_RUNS} misses) | Worker isolate | Owner isolate (with the pool's object) |
|---|---|---|
| Legacy single upstream | ${rows.legacyCpu.worker} | ${rows.legacyCpu.owner} |
| Through the pool | ${rows.poolCpu.worker} | ${rows.poolCpu.owner} |
`)
process.exit(0)
