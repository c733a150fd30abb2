// Memory and CPU of single isolates over DevTools sessions (bench/inspector.mjs): heap usage
// sampled every few ms against a post-GC baseline, and CPU from sampled Profiler profiles.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const MB = 1024 * 1024
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runtime.getHeapUsage, in bytes; `total` is JS heap + embedder (cppgc) heap + backing stores. */
export async function heapUsage(session) {
  const usage = await session.send('Runtime.getHeapUsage', {}, 10_000)
  const used = usage.usedSize ?? 0
  const embedder = usage.embedderHeapUsedSize ?? 0
  const backing = usage.backingStorageSize ?? 0
  return { raw: usage, used, embedder, backing, total: used + embedder + backing }
}

/**
 * A full GC now. workerd answers HeapProfiler.collectGarbage only once the isolate next runs a
 * task, so this takes a heap snapshot instead (V8 collects garbage before taking one).
 */
export async function collectGarbage(session) {
  await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 120_000)
}

/** Samples every session's heap every `everyMs` (one request in flight per session). */
export function startMemory(sessions, everyMs = 10) {
  const state = sessions.map((session) => ({ session, peak: null, samples: 0, error: null }))
  let running = true
  const loops = state.map(async (s) => {
    while (running && !s.session.closed) {
      const started = performance.now()
      try {
        const usage = await heapUsage(s.session)
        s.samples++
        if (!s.peak || usage.total > s.peak.total) s.peak = usage
      } catch (error) {
        s.error = error.message
        return
      }
      await sleep(Math.max(0, everyMs - (performance.now() - started)))
    }
  })
  return async () => {
    running = false
    await Promise.all(loops)
    return state.map(({ peak, samples, error, session }) => ({
      peak,
      samples,
      error: error ?? session.closed,
    }))
  }
}

/** Peak minus baseline, in MB, with the parts of the peak sample. */
export function growth(baseline, peak) {
  const mb = (value) => value / MB
  return {
    total: mb(peak.total - baseline.total),
    heap: mb(peak.used + peak.embedder - baseline.used - baseline.embedder),
    buffers: mb(peak.backing - baseline.backing),
  }
}

/** The latest measured tick per sampling interval, µs (the sampler adds its own overhead). */
const ticks = new Map()

export async function startCpu(session, intervalUs) {
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: intervalUs })
  await session.send('Profiler.start')
}

/**
 * Stops a profile and sums it. V8 records a sample only while the isolate is entered, so a time
 * delta that spans a gap is not CPU: each sample counts one tick, whose length is the mean delta
 * between back-to-back samples (≤ 5 × interval). `(idle)` samples are left out.
 */
export async function stopCpu(session, intervalUs, saveAs = null) {
  const { profile } = await session.send('Profiler.stop', {}, 60_000)
  if (saveAs && process.env.BENCH_PROFILES) {
    mkdirSync(process.env.BENCH_PROFILES, { recursive: true })
    writeFileSync(join(process.env.BENCH_PROFILES, `${saveAs}.cpuprofile`), JSON.stringify(profile))
  }
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]))
  const back = profile.timeDeltas.filter((d) => d > 0 && d <= 5 * intervalUs)
  if (back.length >= 20) ticks.set(intervalUs, back.reduce((a, b) => a + b, 0) / back.length)
  // Too few back-to-back samples (an isolate that barely ran): the last tick measured, if any.
  const tickUs = ticks.get(intervalUs) ?? intervalUs
  const counts = new Map()
  for (const id of profile.samples) {
    const name = names.get(id) || '(anonymous)'
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  const ms = (n) => (n * tickUs) / 1000
  const idle = counts.get('(idle)') ?? 0
  const top = [...counts]
    .filter(([name]) => !name.startsWith('('))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name]) => name)
  return {
    cpuMs: ms(profile.samples.length - idle),
    programMs: ms(counts.get('(program)') ?? 0),
    gcMs: ms(counts.get('(garbage collector)') ?? 0),
    idleMs: ms(idle),
    samples: profile.samples.length,
    tickUs,
    spanMs: (profile.endTime - profile.startTime) / 1000,
    top,
  }
}
