/** The test-only binding vitest.config.ts adds: the D1 migrations, read in Node. */
import type { D1Migration } from 'cloudflare:test'

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}
