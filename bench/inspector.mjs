// DevTools sessions on workerd's own inspector (one target per isolate): where it listens, its
// targets, and a small CDP client on Node's global WebSocket.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** Listening TCP ports of a process, from /proc (its sockets' inodes matched in net/tcp*). */
function listeningPorts(pid) {
  const inodes = new Set()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]
      if (inode) inodes.add(inode)
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  const table = (name) => readFileSync(`/proc/${pid}/net/${name}`, 'utf8').trim().split('\n')
  return [...table('tcp').slice(1), ...table('tcp6').slice(1)]
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[3] === '0A' && inodes.has(cols[9]))
    .map((cols) => Number.parseInt(cols[1].split(':')[1], 16))
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  return res.json()
}

/**
 * workerd's inspector address: `--inspector-addr` on the command line of one of `pids`. wrangler
 * passes port 0 at first (workerd picks one), so then each listening port is asked for /json/version.
 */
export async function findInspector(pids) {
  for (const pid of pids) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const flag = argv.find((arg) => arg.startsWith('--inspector-addr='))
    if (!flag) continue
    const [host, port] = flag.slice('--inspector-addr='.length).split(':')
    const candidates = port === '0' ? listeningPorts(pid) : [Number(port)]
    for (const candidate of candidates) {
      const version = await getJson(`http://${host}:${candidate}/json/version`).catch(() => null)
      if (version?.Browser === 'workerd') return { pid, addr: `${host}:${candidate}`, flag }
    }
  }
  return null
}

/** The inspector's targets: one per isolate, `id` like `core:user:<worker name>`. */
export function listTargets(addr) {
  return getJson(`http://${addr}/json/list`)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** One CDP session. `send` rejects after `timeoutMs` or when the socket closes. */
class Session {
  constructor(ws) {
    this.ws = ws
    this.next = 1
    this.pending = new Map()
    this.closed = null
    ws.onmessage = (e) => {
      const message = JSON.parse(e.data)
      const waiter = this.pending.get(message.id)
      if (!waiter) return
      this.pending.delete(message.id)
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`))
      else waiter.resolve(message.result ?? {})
    }
    ws.onclose = (e) => {
      this.closed = `closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`
      for (const waiter of this.pending.values()) waiter.reject(new Error(this.closed))
      this.pending.clear()
    }
  }

  send(method, params = {}, timeoutMs = 30_000) {
    if (this.closed) return Promise.reject(new Error(this.closed))
    const id = this.next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`))
      }, timeoutMs)
      const done = (fn) => (value) => {
        clearTimeout(timer)
        fn(value)
      }
      this.pending.set(id, { method, resolve: done(resolve), reject: done(reject) })
      this.ws.send(JSON.stringify({ id, method, params }))
    })
  }

  close() {
    this.ws.close()
  }
}

/**
 * Opens a session that stays open. workerd keeps one session per target: a second one closes the
 * first and then itself, so connecting while wrangler's inspector proxy holds the target drops both
 * and the next attempt gets the target alone (wrangler reconnects only after a reload).
 */
export async function openSession(url, attempts = 6) {
  let last = 'no attempt'
  for (let i = 0; i < attempts; i++) {
    const ws = new WebSocket(url)
    const opened = await new Promise((resolve) => {
      ws.onopen = () => resolve(true)
      ws.onerror = () => resolve(false)
    })
    if (opened) {
      const session = new Session(ws)
      await sleep(300)
      try {
        await session.send('Runtime.getHeapUsage', {}, 2000)
        session.attempts = i + 1
        if (!session.closed) return session
      } catch (error) {
        last = error.message
      }
      session.close()
    }
    await sleep(500)
  }
  throw new Error(`could not keep a session on ${url}: ${last}`)
}
