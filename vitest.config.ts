import { availableParallelism } from 'node:os'
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
      // One runtime for every file (starting one per file cost more than the tests); storage and
      // the harness's state are emptied after each test by the setup file.
      isolate: false,
      // One runtime (workerd) per core, each with its own storage: Vitest's default leaves one
      // core idle, which on a 2-core machine runs the files one after another.
      maxWorkers: Math.max(2, availableParallelism()),
      setupFiles: ['./test/helpers/d1-setup.ts', './test/helpers/setup.ts'],
      testTimeout: 30_000,
      silent: 'passed-only' as const,
    },
  }
})
