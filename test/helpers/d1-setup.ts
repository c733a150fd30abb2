/**
 * Applies the D1 migrations before every test: `reset()`, which the harness runs after each
 * test, drops D1's tables (d1_migrations too), so a once-per-file apply would not last.
 */
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach } from 'vitest'

beforeEach(async () => {
  await applyD1Migrations(env.USAGE, env.TEST_MIGRATIONS)
})
