/**
 * Test storage between tests. The bindings (R2, D1, Durable Objects, queues, ...) are wrapped once
 * to note any call, so the clean-up after a test that touched none (most unit tests) can skip
 * `reset()`, which costs tens of milliseconds and drops D1's schema with the rest; the schema is
 * made again before a test only when it is gone.
 */
import { env } from 'cloudflare:workers'

const state = { touched: false }
const WRAPPED = Symbol.for('test-storage-wrapped')
const bindings = env as unknown as Record<string, unknown>
/** The D1 database as it is, unwrapped: looking at its schema touches nothing of a test's. */
const database = env.USAGE
const schema = env.TEST_MIGRATIONS.flatMap((migration) => migration.queries)

function wrap(binding: object): object {
  if ((binding as Record<symbol, unknown>)[WRAPPED]) return binding
  return new Proxy(binding, {
    get(target, property) {
      if (property === WRAPPED) return true
      const value = Reflect.get(target, property)
      // The pool tells a binding by its constructor's name (runInDurableObject checks it).
      if (typeof value !== 'function' || property === 'constructor') return value
      return (...args: unknown[]) => {
        state.touched = true
        return value.apply(target, args)
      }
    },
  })
}

// Every binding that is an object, but not the pool's own (`__VITEST_POOL_WORKERS_…`).
for (const [name, binding] of Object.entries(bindings)) {
  if (name.startsWith('__') || name === 'TEST_MIGRATIONS') continue
  if (binding !== null && typeof binding === 'object') bindings[name] = wrap(binding)
}

/** True once anything called a binding since the last `forgetTouched()`. */
export function touched(): boolean {
  return state.touched
}

export function forgetTouched(): void {
  state.touched = false
}

/**
 * Makes the request log's D1 schema unless it is there: `reset()` (after a test that touched
 * storage, or called by a test file itself) drops D1's tables with the rest.
 */
export async function ensureSchema(): Promise<void> {
  const present = await database
    .prepare(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'request_log'",
    )
    .first<{ n: number }>()
  if (present?.n) return
  await database.batch(schema.map((sql) => database.prepare(sql)))
}
