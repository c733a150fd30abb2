// Runs `wrangler dev` on a loopback port with fresh local state (D1 migrations applied), for the
// browser tests and the benchmarks: starts it, waits until it answers, and stops it and removes
// its state afterwards.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyLocalMigrations } from './local-d1.mjs'

/**
 * @param {{ port: number, vars?: Record<string, string>, config?: string, configs?: string[],
 *   readyPath?: string }} options
 * `vars` are passed as `--var NAME:VALUE` (they reach the first worker only); `configs` runs several
 * workers in one session, the first one primary; `readyPath` is polled until it answers. The
 * answer's `state` is the folder of its local state (for `wrangler d1 execute --persist-to`).
 */
export async function startWranglerDev({
  port,
  vars = {},
  config,
  configs = config ? [config] : [],
  readyPath = '/',
}) {
  // Another server on the port would answer the readiness check in this one's place.
  await assertPortFree(port)
  const state = mkdtempSync(join(tmpdir(), 'wrangler-dev-'))
  // The request log's schema, in the fresh state the first worker will use.
  applyLocalMigrations({ config: configs[0], persistTo: state, quiet: true })
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state]
  args.push('--log-level', 'error', '--show-interactive-dev-session=false')
  for (const file of configs) args.push('-c', file)
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`)
  const child = spawn('wrangler', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 500))
    rmSync(state, { recursive: true, force: true })
  }
  for (let i = 0; i < 120 && child.exitCode === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    if (
      await fetch(`${url}${readyPath}`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url, stop, state }
  }
  await stop()
  throw new Error(`wrangler dev did not start:\n${output}`)
}

/** Refuses a port something already listens on (say, a benchmark left running). */
function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', () =>
      reject(new Error(`port ${port} is in use: stop what listens there, or choose another port`)),
    )
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()))
  })
}
