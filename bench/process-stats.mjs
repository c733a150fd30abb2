// CPU time and memory of a process, read from /proc (Linux): what the benchmarks charge to workerd.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** User + system CPU time of the processes, summed, in ms. */
export function cpuMs(pids) {
  let total = 0
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  }
  return total
}

/** Resident memory now and its high-water mark of one process, in MB. */
export function processMemoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

/** Resident memory now and its high-water mark, summed over the processes, in MB. */
export function memoryMb(pids) {
  let rss = 0
  let peak = 0
  for (const pid of pids) {
    const one = processMemoryMb(pid)
    rss += one.rss
    peak += one.peak
  }
  return { rss, peak }
}

/** Memory the kernel holds for all TCP sockets (their buffers), in MB (Linux /proc/net/sockstat). */
export function tcpMemoryMb() {
  try {
    const pages = /TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1]
    return pages === undefined ? null : (Number(pages) * 4096) / 1e6
  } catch {
    return null
  }
}

/** Resets the high-water marks so the next peak is measured from now (Linux clear_refs). */
export function resetPeak(pids) {
  try {
    for (const pid of pids) execFileSync('sh', ['-c', `echo 5 > /proc/${pid}/clear_refs`])
    return true
  } catch {
    return false
  }
}

/** The workerd processes started under `parentPid` (wrangler dev runs more than one). */
export function findWorkerd(parentPid) {
  const out = execFileSync('ps', ['-eo', 'pid,ppid,comm']).toString().trim().split('\n').slice(1)
  const rows = out
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }))
  const descendants = new Set([parentPid])
  let grew = true
  while (grew) {
    grew = false
    for (const row of rows) {
      if (descendants.has(row.ppid) && !descendants.has(row.pid)) {
        descendants.add(row.pid)
        grew = true
      }
    }
  }
  return rows
    .filter((row) => descendants.has(row.pid) && row.comm === 'workerd')
    .map((row) => row.pid)
}
