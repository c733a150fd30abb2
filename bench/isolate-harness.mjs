// The measuring rig of `npm run bench:isolates`: the split gateway under `wrangler dev`, DevTools
// sessions on its two isolates, and memory or CPU measured around one scenario at a time.

import { findInspector, listTargets, openSession } from './inspector.mjs'
import { drain, sleep } from './isolate-clients.mjs'
import {
  collectGarbage,
  growth,
  heapUsage,
  startCpu,
  startMemory,
  stopCpu,
} from './isolate-meters.mjs'
import { cpuMs, memoryMb, processMemoryMb, resetPeak } from './process-stats.mjs'
import { COORDINATOR_NAME, startSplitGateway, WORKER_NAME } from './split/start.mjs'

export const INTERVAL_US = Number(process.env.BENCH_SAMPLING_US ?? 100)
const SIDES = ['worker', 'coordinator']

/** Starts the gateway (with no `upstreamUrl`: the demo upstream) and connects to both isolates. */
export async function startRig({ port, upstreamUrl }) {
  const upstream = upstreamUrl
    ? { UPSTREAM_BASE_URL: upstreamUrl, UPSTREAM_API_KEY: 'bench-operator-key' }
    : {}
  const gateway = await startSplitGateway({
    port,
    vars: {
      ...upstream,
      GATEWAY_KEYS: 'bench',
      // Signed embeds for the embed stream scenario, visited many times from one address.
      EMBED_SIGNING_SECRET: 'bench-embed-secret',
      EMBED_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  })
  const rig = { gateway, port, base: `${gateway.url}/v1`, sessions: {}, targets: [], log: [] }
  try {
    await connect(rig)
  } catch (error) {
    await gateway.stop()
    throw error
  }
  return rig
}

/** (Re)finds workerd's inspector and opens a session on each of the two user workers' isolates. */
export async function connect(rig) {
  for (const session of Object.values(rig.sessions)) session.close()
  let inspector = null
  for (let i = 0; i < 20 && !inspector; i++) {
    inspector = await findInspector(rig.gateway.pids()).catch(() => null)
    if (!inspector) await sleep(500)
  }
  if (!inspector) throw new Error('no workerd process with an inspector (--inspector-addr)')
  rig.inspector = inspector
  rig.targets = await listTargets(inspector.addr)
  const ids = { worker: `core:user:${WORKER_NAME}`, coordinator: `core:user:${COORDINATOR_NAME}` }
  for (const side of SIDES) {
    const target = rig.targets.find((t) => t.id === ids[side])
    if (!target) throw new Error(`no inspector target ${ids[side]}`)
    rig.sessions[side] = await openSession(target.webSocketDebuggerUrl)
  }
}

/** Reconnects if a session was lost (a crashed or reloaded workerd); false when that fails. */
async function ensureConnected(rig) {
  if (SIDES.every((side) => !rig.sessions[side]?.closed)) return true
  try {
    await connect(rig)
    rig.log.push('reconnected to the isolates (workerd restarted or reloaded)')
    return true
  } catch (error) {
    rig.log.push(`could not reconnect: ${error.message}`)
    return false
  }
}

function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Peak memory growth of each isolate while `run` runs (and `settleMs` after), from a post-GC
 * baseline; also the workerd processes' resident memory growth. Failures become the figure.
 */
export async function measureMemory(rig, run, { settleMs = 1000, timeoutMs = 120_000 } = {}) {
  if (!(await ensureConnected(rig))) return { failed: 'not run: isolates unreachable' }
  const baseline = {}
  for (const side of SIDES) {
    await collectGarbage(rig.sessions[side])
    baseline[side] = await heapUsage(rig.sessions[side])
  }
  const pids = rig.gateway.pids()
  const reset = resetPeak(pids)
  const rssBefore = memoryMb(pids).rss
  const before = pids.map((pid) => processMemoryMb(pid).rss)
  const stop = startMemory(SIDES.map((side) => rig.sessions[side]))
  let note = null
  let failed = null
  try {
    note = await withTimeout(run(), timeoutMs, 'scenario')
    await sleep(settleMs)
  } catch (error) {
    failed = error.message
  }
  const peaks = await stop()
  const result = { note, failed, baseline, rss: reset ? memoryMb(pids).peak - rssBefore : null }
  // Each process's growth (its peak, or where peaks cannot be reset what it holds now).
  result.processes = pids.map((pid, i) => {
    const now = processMemoryMb(pid)
    return { pid, growth: (reset ? now.peak : now.rss) - before[i], rss: now.rss - before[i] }
  })
  SIDES.forEach((side, i) => {
    const { peak, samples, error } = peaks[i]
    result[side] = error
      ? { error: `isolate lost (${error})` }
      : { ...growth(baseline[side], peak ?? baseline[side]), samples }
  })
  return result
}

/**
 * CPU ms per request in each isolate (sampled profiles), and in all workerd processes measured in
 * a separate pass without profilers (their sampling threads would count there).
 */
export async function measureCpu(
  rig,
  runs,
  send,
  { warmup = 3, settleMs = 500, label = null } = {},
) {
  if (!(await ensureConnected(rig))) return { failed: 'not run: isolates unreachable' }
  try {
    for (let i = 0; i < warmup; i++) await drain(send(-1 - i))
    await sleep(settleMs)
    const pids = rig.gateway.pids()
    const before = cpuMs(pids)
    for (let i = 0; i < runs; i++) await drain(send(i))
    await sleep(settleMs) // stores that finish after the answer
    const result = { processMs: (cpuMs(pids) - before) / runs }
    // Garbage left by earlier scenarios would otherwise be collected, and charged, in this one.
    for (const side of SIDES) await collectGarbage(rig.sessions[side])
    for (const side of SIDES) await startCpu(rig.sessions[side], INTERVAL_US)
    for (let i = 0; i < runs; i++) await drain(send(runs + i))
    await sleep(settleMs)
    for (const side of SIDES) {
      const saveAs = label ? `${label}-${side}` : null
      const profile = await stopCpu(rig.sessions[side], INTERVAL_US, saveAs)
      const perRequest = profile.cpuMs / runs
      const program = profile.programMs / runs
      result[side] = { ...profile, perRequest, program, gc: profile.gcMs / runs }
    }
    return result
  } catch (error) {
    for (const side of SIDES) await rig.sessions[side]?.send('Profiler.stop').catch(() => {})
    return { failed: error.message }
  }
}
