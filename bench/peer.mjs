// The peer gateway for side-by-side benchmarks: Portkey's open-source AI gateway
// (@portkey-ai/gateway, the best-known JavaScript AI gateway), run locally in Node and pointed at
// the same fake upstream through its `x-portkey-custom-host` header.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

export async function startPortkey(port, upstreamUrl) {
  const entry = join(
    dirname(require.resolve('@portkey-ai/gateway/package.json')),
    'build/start-server.js',
  )
  const child = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  let errors = ''
  child.stderr.on('data', (d) => (errors += d))
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    if (
      await fetch(base).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        url: `${base}/v1`,
        headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl },
        pid: child.pid,
        stop: () => child.kill('SIGTERM'),
      }
    }
  }
  child.kill()
  throw new Error(`Portkey's gateway did not start:\n${errors}`)
}
