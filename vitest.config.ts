import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig(async () => {
  // The request log's D1 schema, applied before every test by test/helpers/d1-setup.ts.
  const migrations = await readD1Migrations('./migrations')
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: { bindings: { TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: {
      include: ['test/**/*.test.ts'],
      exclude: ['test/e2e/**'],
      setupFiles: ['./test/helpers/d1-setup.ts'],
      testTimeout: 30_000,
      silent: 'passed-only' as const,
    },
  }
})
