// `npm run bench:isolates`: the gateway's own isolates (worker, and the Durable Object served by a
// second worker) measured through workerd's DevTools inspector: peak heap and CPU per request, not
// process totals. Prints one markdown table, the all-process figures as a labelled extra column.
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { startFakeUpstream } from './fake-upstream.mjs'
import { bombScenarios } from './isolate-bomb.mjs'
import { post, sleep, unique } from './isolate-clients.mjs'
import { INTERVAL_US, startRig } from './isolate-harness.mjs'
import { heapUsage, startCpu, stopCpu } from './isolate-meters.mjs'
import {
  cpuScenarios,
  edgeScenario,
  editScenario,
  lagScenario,
  memoryScenarios,
} from './isolate-scenarios.mjs'
import { stalledScenario } from './isolate-stalled.mjs'
import { missingBindings } from './split/start.mjs'

/** BENCH_PORT, or a port free right now. */
async function freePort() {
  if (process.env.BENCH_PORT) return Number(process.env.BENCH_PORT)
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}
/** BENCH_ONLY=memory,edit,stalled,cpu,lag,edge,bomb (any of them) runs only those groups; all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'memory,edit,stalled,cpu,lag,edge,bomb').split(','))
const f1 = (value) => value.toFixed(1)
const na = 'n/a'

function revision() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain', 'src']).toString().trim()
    return `${head}${dirty ? ' with uncommitted changes in src/' : ''}`
  } catch {
    return 'unknown'
  }
}

/** Checks that R2 is shared and that the Durable Object runs in the second worker's isolate. */
async function checks(rig) {
  const body = { prompt: unique('bytes=100000'), response_format: 'url' }
  const { worker, coordinator } = rig.sessions
  for (const session of [worker, coordinator]) await startCpu(session, INTERVAL_US)
  const miss = await post(rig.base, body)
  await miss.arrayBuffer()
  await sleep(300)
  const [w, c] = [await stopCpu(worker, INTERVAL_US), await stopCpu(coordinator, INTERVAL_US)]
  const again = await post(rig.base, body)
  const { data } = await again.json()
  const file = await fetch(data?.[0]?.url ?? `${rig.base}/missing`)
  const bytes = new Uint8Array(await file.arrayBuffer())
  const png = bytes[0] === 0x89 && bytes[1] === 0x50
  const cache = [miss, again].map((res) => res.headers.get('x-cache')).join(' then ')
  const shared = again.headers.get('x-cache') === 'HIT' && png ? 'yes' : 'NO'
  const placed = c.cpuMs > 0 ? 'yes' : 'NO (no samples in the second isolate)'
  return [
    `R2 shared by both workers: ${shared} (the same request twice: x-cache ${cache}; the stored image's URL answered ${file.status}${png ? ', a PNG' : ''})`,
    `Durable Object runs in the second worker's isolate: ${placed} (the miss: worker ${f1(w.cpuMs)} ms [${w.top.join(', ')}], coordinator ${f1(c.cpuMs)} ms [${c.top.join(', ')}])`,
  ]
}

function memoryCells(result) {
  if (result.failed && !result.worker) return [result.failed, result.failed, na, na]
  const cell = (side) =>
    side.error ??
    `${f1(side.total)} MB (heap ${f1(side.heap)} + buffers ${f1(side.buffers)})${result.failed ? `; scenario failed: ${result.failed}` : ''}`
  const both =
    result.worker.error || result.coordinator.error
      ? na
      : `${f1(result.worker.total + result.coordinator.total)} MB (sum of peaks)`
  const rss = result.rss === null ? 'peak not resettable' : `+${f1(result.rss)} MB RSS`
  if (result.rssPerClient != null)
    return [
      cell(result.worker),
      cell(result.coordinator),
      both,
      `${rss} (${f1(result.rssPerClient)} MB per client)`,
    ]
  return [cell(result.worker), cell(result.coordinator), both, rss]
}

/** Each workerd process's peak growth and what it kept after the scenario, for the notes. */
function processCells(result) {
  if (!result.processes) return ''
  const one = ({ pid, growth, rss }) =>
    `${pid}${pid === rig?.inspector?.pid ? ' (the workers)' : ''} +${f1(growth)} peak, ${rss >= 0 ? '+' : ''}${f1(rss)} after`
  return `; workerd processes (MB): ${result.processes.map(one).join(', ')}`
}

function cpuCells(result) {
  if (result.failed) return [result.failed, result.failed, na, na]
  const cell = (side) =>
    `${f1(side.perRequest)} ms (program ${f1(side.program)}, GC ${f1(side.gc)})`
  const both = `${f1(result.worker.perRequest + result.coordinator.perRequest)} ms`
  return [cell(result.worker), cell(result.coordinator), both, `${f1(result.processMs)} ms`]
}

const fake = await startFakeUpstream()
const started = Date.now()
let rig
process.once('SIGINT', async () => {
  fake.close()
  await rig?.gateway.stop()
  process.exit(130)
})
try {
  rig = await startRig({ port: await freePort(), upstreamUrl: fake.url })
  rig.upstreamCalls = () => fake.received.length
  rig.received = () => fake.received
  const fields = Object.keys((await heapUsage(rig.sessions.worker)).raw)
  const checkLines = await checks(rig).catch((error) => [`Checks failed: ${error.message}`])
  const skipped = { failed: 'skipped (BENCH_ONLY)' }
  const skip = (keys) => Object.fromEntries(keys.map((key) => [key, skipped]))
  const memory = ONLY.has('memory') ? await memoryScenarios(rig) : skip(['a', 'b', 'c', 'd', 'e'])
  memory.f = ONLY.has('edit') ? await editScenario(rig) : skipped
  const stalled = ONLY.has('stalled') ? await stalledScenario(rig) : null
  memory.g = stalled?.stalled ?? skipped
  memory.h = stalled?.reading ?? skipped
  const cpu = ONLY.has('cpu')
    ? await cpuScenarios(rig)
    : skip([
        'floor',
        'miss',
        'missOwned',
        'streamMiss',
        'embedStream',
        'editMiss',
        'file',
        'hit',
        'hitUrl',
      ])
  const lag = ONLY.has('lag') ? await lagScenario(rig, fake.url) : skipped
  const edge = ONLY.has('edge') ? await edgeScenario(rig) : skipped
  // The demo upstream decodes edit pictures: a gateway without an upstream, on its own port.
  const bomb = ONLY.has('bomb') ? await bombScenarios(rig.port + 2) : skip(['image', 'mask'])

  const rows = [
    ['Peak memory, 4 concurrent n=10 × 3 MB misses (JSON)', ...memoryCells(memory.a), na],
    ['Peak memory, one n=10 × 12 MB miss (JSON)', ...memoryCells(memory.b), na],
    ['Peak memory, one stream miss, 3 partials, 12 MB events', ...memoryCells(memory.c), na],
    ['Peak memory, 10 coalesced stream clients, n=2 × 5 MB', ...memoryCells(memory.d), na],
    ['Peak memory, the same, clients reading 2 KB/s', ...memoryCells(memory.e), na],
    [
      'Peak memory, one 90 MB multipart edit upload (2 × 45 MB pictures), JSON answer',
      ...memoryCells(memory.f),
      na,
    ],
    [
      `Peak memory, ${stalled?.clients ?? 60} stalled stream clients on one generation (three 8 MB events, read nothing after the headers)`,
      ...memoryCells(memory.g),
      na,
    ],
    [
      `Peak memory, the same, ${stalled?.clients ?? 60} clients reading`,
      ...memoryCells(memory.h),
      na,
    ],
    [
      "Peak memory, a png bomb (64×64, image data inflating to 300 MB) as a demo edit's picture",
      ...memoryCells(bomb.image),
      na,
    ],
    ['Peak memory, the same png bomb as the mask', ...memoryCells(bomb.mask), na],
    ["CPU per GET /v1/models (a trivial request; the runtime's floor)", ...cpuCells(cpu.floor), na],
    ['CPU per miss (1 MB image, JSON)', ...cpuCells(cpu.miss), na],
    [
      'CPU per miss of a key whose owner exists (1 MB, JSON, cache-control: no-cache)',
      ...cpuCells(cpu.missOwned),
      na,
    ],
    ['CPU per stream miss (1 MB image, 3 partials)', ...cpuCells(cpu.streamMiss), na],
    [
      'CPU per embed stream miss (signed URL, stream=1, 1 MB image, 3 partials)',
      ...cpuCells(cpu.embedStream),
      na,
    ],
    [
      'CPU per edit miss (one 8 MB picture uploaded, 1 MB image, JSON)',
      ...cpuCells(cpu.editMiss),
      na,
    ],
    ['CPU per GET of a stored 1 MB image', ...cpuCells(cpu.file), na],
    ['CPU per cache hit (1 MB image, base64 JSON)', ...cpuCells(cpu.hit), na],
    [
      'CPU per cache hit of the same result with URLs (reads no image)',
      ...cpuCells(cpu.hitUrl),
      na,
    ],
  ].map(([measure, worker, coordinator, both, processes, direct]) => [
    measure,
    worker,
    coordinator,
    both,
    direct,
    processes,
  ])
  for (const p of ['p50', 'p99']) {
    const cell = lag.failed
      ? [lag.failed, na]
      : [
          `${f1(lag.gateway[p])} ms (+${f1(lag.gateway[p] - lag.floor[p])} over a pass-through worker at ${f1(lag.floor[p])} ms)`,
          `${f1(lag.direct[p])} ms`,
        ]
    rows.push([`Lag per streamed 2 MB event, ${p}`, na, na, ...cell, na])
  }

  if (edge.failed) rows.push(['Image views (edge cache)', na, na, edge.failed, na, na])
  else {
    const cell = (s) => `${s.r2} of ${s.n} read R2; ${f1(s.p50)} ms a view (p50)`
    rows.push(['First views of 20 different images (200 KB)', na, na, cell(edge.first), na, na])
    rows.push(['100 views of one image (200 KB)', na, na, cell(edge.repeated), na, na])
  }

  const minutes = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(
    `\nIsolate benchmark, ${new Date().toISOString().slice(0, 10)}, code ${revision()}, Node ${process.version}, ${minutes} min\n`,
  )
  console.log(
    '| Measure | Worker isolate | Durable Object isolate | Both isolates (gateway) | Direct to fake | All workerd processes (extra) |',
  )
  console.log('|---|---|---|---|---|---|')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)

  const targets = rig.targets.map((t) => t.id)
  const ticks = Object.values(cpu)
    .filter((r) => r.worker)
    .map((r) => `${Math.round(r.worker.tickUs)}/${Math.round(r.coordinator.tickUs)}`)
  const notes = [
    `Inspector: ${rig.inspector.addr} (workerd pid ${rig.inspector.pid}, command line ${rig.inspector.flag}); ${targets.length} targets, one per isolate: ${targets.join(', ')}. Measured: core:user:bench-gateway (worker) and core:user:bench-coordinator (GenerationCoordinator).`,
    `Sessions: worker opened at attempt ${rig.sessions.worker.attempts}, coordinator at attempt ${rig.sessions.coordinator.attempts} (workerd keeps one session per target; a second one closes both, so the target wrangler's inspector proxy held takes two).`,
    `Runtime.getHeapUsage fields: ${fields.join(', ')}. Memory = usedSize + embedderHeapUsedSize ("heap") + backingStorageSize ("buffers": ArrayBuffers and external strings), peak while sampled every 10 ms minus the value after a full GC (a heap snapshot) before the scenario.`,
    `CPU = Profiler samples (interval ${INTERVAL_US} µs) that are not (idle), times the measured tick (µs, worker/coordinator per CPU row: ${ticks.join(', ')}), per request; program and GC are the (program) and (garbage collector) parts.`,
    ...checkLines,
    ...missingBindings().map(
      (name) => `WARNING: wrangler.toml binds ${name}; bench/split/*.toml do not`,
    ),
    ...Object.entries(memory).map(
      ([k, r]) =>
        `Memory ${k}: ${r.note ?? r.failed} (${r.worker?.samples ?? 0}/${r.coordinator?.samples ?? 0} heap samples)${processCells(r)}`,
    ),
    ...Object.entries(bomb).map(([k, r]) => `Bomb as the ${k}: ${r.note ?? r.failed}`),
    `Cache hit row: ${cpu.hit.note ?? 'not run'}. Lag: ${lag.gateway?.n ?? 0} events via the gateway, ${lag.direct?.n ?? 0} direct.`,
    ...rig.log,
  ]
  console.log(`\n${notes.map((line) => `- ${line}`).join('\n')}`)
} finally {
  fake.close()
  await rig?.gateway.stop()
}
