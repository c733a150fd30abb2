#!/usr/bin/env node
// `npm start`: runs the gateway and its page locally with `wrangler dev` (simulated R2 and
// Durable Objects), after saying which upstream will answer: the operator's, or the demo.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

const port = process.env.PORT ?? '8787'
const devVars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
const isSet = (name) =>
  new RegExp(`^\\s*${name}\\s*=\\s*\\S`, 'm').test(devVars) || Boolean(process.env[name])
const demo = !isSet('UPSTREAM_API_KEY') && !isSet('UPSTREAM_BASE_URL')

console.log(
  demo
    ? 'No upstream configured (UPSTREAM_BASE_URL / UPSTREAM_API_KEY): the demo generator is serving.\n' +
        'Set them in .dev.vars (see .dev.vars.example) to forward to a real OpenAI-compatible API.'
    : 'Forwarding to the upstream configured in .dev.vars.',
)
console.log(`Gateway and page: http://localhost:${port}\n`)

const child = spawn(
  'wrangler',
  ['dev', '--port', port, '--ip', '127.0.0.1', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { WRANGLER_SEND_METRICS: 'false', ...process.env },
  },
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
