// `npm run bench:load`: 200 concurrent clients on cache hits (autocannon against a local worker
// under `wrangler dev`), for a fixed time, side by side with the same load on a trivial route
// (the runtime's own ceiling). Stops by itself; prints a markdown table.
import autocannon from 'autocannon'
import { startWranglerDev } from '../scripts/wrangler-dev.mjs'
import { startFakeUpstream } from './fake-upstream.mjs'
import { BENCH_KEY, startGateway, stopGateway } from './gateway.mjs'

const PORT = Number(process.env.BENCH_PORT ?? 8798)
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 200)
const SECONDS = Number(process.env.LOAD_SECONDS ?? 10)
const URL_BASE = `http://127.0.0.1:${PORT}`

function run(options) {
  return autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options })
}

/** The in-memory baseline worker (bench/baseline-worker.mjs) under its own `wrangler dev`. */
function startBaseline(port) {
  return startWranglerDev({ port, config: 'bench/baseline.wrangler.toml' })
}

const fake = await startFakeUpstream()
const gateway = await startGateway(fake.url, PORT)
try {
  const hit = {
    url: `${URL_BASE}/v1/images/generations`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}` },
    body: JSON.stringify({ prompt: 'bench bytes=100000 load', response_format: 'url' }),
  }
  const first = await fetch(hit.url, hit)
  await first.arrayBuffer()
  await new Promise((resolve) => setTimeout(resolve, 500))

  const b64Hit = { ...hit, body: JSON.stringify({ prompt: 'bench bytes=100000 load' }) }
  const hitBytes = await (await fetch(b64Hit.url, b64Hit)).arrayBuffer()
  const baseline = await startBaseline(PORT + 1)
  await fetch(`${baseline.url}/set`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: hitBytes,
  })

  const floor = await run({ url: `${URL_BASE}/v1/models` })
  const hits = await run(hit)
  const b64 = await run(b64Hit)
  const memory = await run({ url: `${baseline.url}/` })
  await baseline.stop()

  const row = (label, r) =>
    `| ${label} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} ms | ${r.latency.p99} ms | ${r.errors + r.timeouts} | ${r.non2xx} |`
  console.log(
    `\nLoad, ${new Date().toISOString().slice(0, 10)}: ${CONNECTIONS} concurrent clients for ${SECONDS} s each, Node ${process.version}\n`,
  )
  console.log('| Route | Requests/s | Latency p50 | Latency p99 | Errors | Non-2xx |')
  console.log('|---|---|---|---|---|---|')
  console.log(row('GET /v1/models (baseline: no storage)', floor))
  console.log(row('Cache hit, response_format url', hits))
  console.log(row('Cache hit, base64 JSON (100 KB image)', b64))
  console.log(
    row(
      `A worker serving the same ${(hitBytes.byteLength / 1024).toFixed(0)} KB from memory`,
      memory,
    ),
  )
  const failed = [floor, hits, b64, memory].some((r) => r.errors + r.timeouts + r.non2xx > 0)
  console.log(failed ? '\nSome requests failed.' : '\nNo errors.')
  process.exitCode = failed ? 1 : 0
} finally {
  fake.close()
  await stopGateway(gateway)
}
