// Applies the request log's D1 migrations to local state (`wrangler d1 migrations apply USAGE
// --local`), so `npm start`, the browser tests and the benchmarks work on a fresh clone with no
// Cloudflare account. A config without a D1 database is left alone.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

/**
 * @param {{ config?: string, persistTo?: string, quiet?: boolean }} options
 * Throws when wrangler fails, with its output.
 */
export function applyLocalMigrations({ config = 'wrangler.toml', persistTo, quiet = false } = {}) {
  if (!existsSync(config) || !/^\s*\[\[d1_databases\]\]/m.test(readFileSync(config, 'utf8'))) return
  const args = ['d1', 'migrations', 'apply', 'USAGE', '--local', '-c', config]
  if (persistTo) args.push('--persist-to', persistTo)
  const run = spawnSync('wrangler', args, {
    encoding: 'utf8',
    // CI answers wrangler's "apply these migrations?" prompt with yes.
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  })
  if (run.status !== 0) {
    const output = run.error ? String(run.error) : `${run.stdout}${run.stderr}`
    throw new Error(`D1 migrations failed (wrangler ${args.join(' ')}):\n${output}`)
  }
  if (!quiet) process.stdout.write(/No migrations to apply/.test(run.stdout) ? '' : run.stdout)
}
