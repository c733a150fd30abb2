import { cloudflareTest } from '@cloudflare/vitest-plugin'
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

export default defineConfig({
  plugins: [textImports, cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    testTimeout: 30_000,
    silent: 'passed-only',
  },
})
