import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'

/** Text imports (`with { type: 'text' }`, read natively by wrangler's esbuild) as Vite's `?raw`. */
const textImports: Plugin = {
  name: 'text-imports',
  enforce: 'pre',
  transform(code) {
    const textImport = /(from\s+'[^']+)'\s+with\s+\{\s*type:\s*'text'\s*\}/g
    return textImport.test(code) ? code.replace(textImport, "$1?raw'") : null
  },
}

export default defineConfig(async () => {
  // The request log's D1 schema, applied before every test by test/helpers/d1-setup.ts.
  const migrations = await readD1Migrations('./migrations')
  return {
    plugins: [
      textImports,
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
