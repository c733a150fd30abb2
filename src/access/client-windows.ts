/**
 * One-minute rate windows: the arithmetic every ledger's window shares, and a publishable key's
 * windows per client (kept in the key's own ledger, one storage entry each, bounded and pruned),
 * so one client that forges the site's Origin cannot use up the window of every other visitor.
 */
export const WINDOW_MS = 60_000
/** The most client windows a key keeps; past it, the window that started first is forgotten. */
export const MAX_CLIENT_WINDOWS = 10_000
/** How storage names a client's window. */
const PREFIX = 'client:'
/** Storage deletes at most this many keys per call. */
const DELETE_BATCH = 128

export interface Window {
  start: number
  count: number
}

/** Where a request stands in its account's one-minute window. */
export interface RateWindow {
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  reset: number
}

/** Where a window stands at `now` under `limit`: the one in force (a new one once a minute passed). */
export function standing(
  window: Window | undefined,
  limit: number,
  now: number,
): RateWindow & { full: boolean; next: Window } {
  const fresh = !window || now - window.start >= WINDOW_MS
  const start = fresh ? now : window.start
  const count = fresh ? 0 : window.count
  const reset = Math.ceil((start + WINDOW_MS - now) / 1000)
  const full = count >= limit
  const remaining = full ? 0 : limit - count - 1
  return { limit, remaining, reset, full, next: { start, count: count + 1 } }
}

/**
 * The windows of a publishable key's clients, in the order they last counted a request, so
 * pruning the ended ones stops at the first that still runs: every window kept counted a request
 * within the last minute. Only an admitted request adds or moves one (and it counts in the key's
 * own window too), so they never outnumber the key's admitted requests of the last minute, nor
 * MAX_CLIENT_WINDOWS; a refused client writes nothing.
 */
export class ClientWindows {
  private readonly windows = new Map<string, Window>()

  /** The windows a key's ledger stored, oldest first. */
  static async load(storage: DurableObjectStorage): Promise<ClientWindows> {
    const loaded = new ClientWindows()
    const stored = await storage.list<Window>({ prefix: PREFIX })
    // Oldest start first: the order of last requests is not stored, and this one is close.
    const byStart = [...stored].sort(([, a], [, b]) => a.start - b.start)
    for (const [name, window] of byStart) loaded.windows.set(name.slice(PREFIX.length), window)
    return loaded
  }

  get size(): number {
    return this.windows.size
  }

  /** Where `client` stands at `now` under `limit`, changing nothing. */
  check(client: string, limit: number, now: number): ReturnType<typeof standing> {
    return standing(this.windows.get(client), limit, now)
  }

  /**
   * Counts an admitted request of `client` as `next` (from `check`), forgets windows that ended
   * (or the oldest, past the bound), and writes both to storage with the ledger's own `state`.
   */
  async count(
    storage: DurableObjectStorage,
    client: string,
    next: Window,
    now: number,
    state: unknown,
  ): Promise<void> {
    const forgotten: string[] = []
    this.windows.delete(client)
    for (const [name, window] of this.windows) {
      if (now - window.start < WINDOW_MS && this.windows.size < MAX_CLIENT_WINDOWS) break
      this.windows.delete(name)
      forgotten.push(PREFIX + name)
    }
    this.windows.set(client, next)
    await storage.put({ state, [PREFIX + client]: next })
    for (let i = 0; i < forgotten.length; i += DELETE_BATCH)
      await storage.delete(forgotten.slice(i, i + DELETE_BATCH))
  }
}
