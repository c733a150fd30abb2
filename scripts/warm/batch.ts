/**
 * The warm-up run against a gateway: embed URLs submitted as batches of up to 1,000, their
 * progress read until every item has ended, and what failed, item by item. Plain fetch, so it
 * runs in node against a gateway and in tests against the worker itself.
 */

export const MAX_ITEMS = 1000

export interface WarmOptions {
  gateway: string
  key: string
  fetch: typeof fetch
  maxCostUsd?: number
}

export interface BatchState {
  id: string
  status: string
  total: number
  counts: Record<string, number>
  cost_usd: number
  failures?: { index: number; code: string; message: string }[]
}

export interface Submitted {
  id: string
  /** The URLs of its items, in order. */
  urls: string[]
}

/** Refused by the gateway: its status and error. */
export class WarmError extends Error {}

async function call(options: WarmOptions, path: string, body?: unknown): Promise<unknown> {
  const response = await options.fetch(`${options.gateway.replace(/\/+$/, '')}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${options.key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) {
    let message = text.slice(0, 300)
    try {
      const error = (JSON.parse(text) as { error?: { message?: string; param?: string } }).error
      if (error?.message) message = `${error.message}${error.param ? ` (${error.param})` : ''}`
    } catch {}
    throw new WarmError(`${path}: ${response.status} ${message}`)
  }
  return JSON.parse(text)
}

/** Submits `urls` as batches of at most 1,000 items each. */
export async function submit(urls: readonly string[], options: WarmOptions): Promise<Submitted[]> {
  const batches: Submitted[] = []
  for (let at = 0; at < urls.length; at += MAX_ITEMS) {
    const chunk = urls.slice(at, at + MAX_ITEMS)
    const body = {
      items: chunk.map((url) => ({ url })),
      ...(options.maxCostUsd === undefined ? {} : { max_cost_usd: options.maxCostUsd }),
    }
    const accepted = (await call(options, '/v1/images/batches', body)) as { id: string }
    batches.push({ id: accepted.id, urls: chunk })
  }
  return batches
}

export const ended = (state: BatchState) =>
  (state.counts.queued ?? 0) + (state.counts.in_progress ?? 0) === 0

/** Reads every batch until all have ended, telling `progress` after each round. */
export async function waitFor(
  batches: readonly Submitted[],
  options: WarmOptions & { pause: () => Promise<void>; progress: (states: BatchState[]) => void },
): Promise<BatchState[]> {
  for (;;) {
    const states = await Promise.all(
      batches.map(
        (batch) => call(options, `/v1/images/batches/${batch.id}`) as Promise<BatchState>,
      ),
    )
    options.progress(states)
    if (states.every(ended)) return states
    await options.pause()
  }
}

/** The totals over batches, by item state. */
export function totals(states: readonly BatchState[]): Record<string, number> & { total: number } {
  const sum: Record<string, number> & { total: number } = { total: 0 }
  for (const state of states) {
    sum.total += state.total
    for (const [name, count] of Object.entries(state.counts)) sum[name] = (sum[name] ?? 0) + count
  }
  return sum
}

/** One line per item that did not end cached or completed: its URL, code and message. */
export function failures(batches: readonly Submitted[], states: readonly BatchState[]): string[] {
  const lines: string[] = []
  for (const [i, state] of states.entries()) {
    const urls = batches[i]?.urls ?? []
    for (const failure of state.failures ?? [])
      lines.push(
        `${urls[failure.index] ?? `item ${failure.index}`}: ${failure.code}: ${failure.message}`,
      )
    const stopped = (state.counts.cancelled_budget ?? 0) + (state.counts.cancelled ?? 0)
    if (stopped > 0) lines.push(`batch ${state.id}: ${stopped} item(s) not made (budget or cancel)`)
  }
  return lines
}

/** A text progress bar: `[#####.....] 500/1000 (3 failed)`. */
export function progressBar(sum: ReturnType<typeof totals>, width = 30): string {
  const done = sum.total - (sum.queued ?? 0) - (sum.in_progress ?? 0)
  const filled = sum.total === 0 ? width : Math.round((done / sum.total) * width)
  const failed = sum.failed ?? 0
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${sum.total}${failed ? ` (${failed} failed)` : ''}`
}
