// Starts the gateway under `wrangler dev` (workerd) for benchmarks, pointed at a loopback fake
// upstream, with one bootstrap client key (`bench`: no rate limit, no balance) and fresh state.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findWorkerd } from './process-stats.mjs'

export const BENCH_KEY = 'bench'

export async function startGateway(upstreamUrl, port) {
  const state = mkdtempSync(join(tmpdir(), 'bench-state-'))
  const args = [
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    state,
    '--log-level',
    'error',
    '--show-interactive-dev-session=false',
    '--var',
    `UPSTREAM_BASE_URL:${upstreamUrl}`,
    '--var',
    'UPSTREAM_API_KEY:bench-operator-key',
    '--var',
    `GATEWAY_KEYS:${BENCH_KEY}`,
  ]
  const child = spawn('wrangler', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  for (let i = 0; i < 120; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const ok = await fetch(`http://127.0.0.1:${port}/v1/models`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return { child, state, pids: findWorkerd(child.pid) }
  }
  child.kill()
  throw new Error(`wrangler dev did not start:\n${output}`)
}

export async function stopGateway(gateway) {
  gateway.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 500))
  rmSync(gateway.state, { recursive: true, force: true })
}
