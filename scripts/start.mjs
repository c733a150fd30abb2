#!/usr/bin/env node
// `npm start`: runs the gateway and its page locally with `wrangler dev` (simulated R2, D1 and
// Durable Objects), after saying which upstream will answer (the operator's, or the demo), making
// a local admin token when none is set (in .dev.vars) and applying the request log's migrations.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { applyLocalMigrations } from './local-d1.mjs'

const port = process.env.PORT ?? '8787'
const devVars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
/** A variable's value in .dev.vars, which is what the local worker reads. */
const devVar = (name) => new RegExp(`^\\s*${name}\\s*=\\s*(\\S.*?)\\s*$`, 'm').exec(devVars)?.[1]
const isSet = (name) => Boolean(devVar(name) || process.env[name])
const demo = !isSet('UPSTREAM_API_KEY') && !isSet('UPSTREAM_BASE_URL')

console.log(
  demo
    ? 'No upstream configured (UPSTREAM_BASE_URL / UPSTREAM_API_KEY): the demo generator is serving.\n' +
        'Set them in .dev.vars (see .dev.vars.example) to forward to a real OpenAI-compatible API.'
    : 'Forwarding to the upstream configured in .dev.vars.',
)

// The console needs an admin token: a fresh clone gets a random one, kept in .dev.vars (which
// git ignores), so the next start signs in with the same.
let adminToken = devVar('ADMIN_TOKEN')
if (!adminToken) {
  adminToken = `local-admin-${randomBytes(18).toString('base64url')}`
  const gap = devVars === '' || devVars.endsWith('\n') ? '' : '\n'
  appendFileSync(
    '.dev.vars',
    `${gap}# Made by \`npm start\` for the local console (/admin/); change or remove it freely.\nADMIN_TOKEN=${adminToken}\n`,
  )
  console.log('No ADMIN_TOKEN was set: made one for this machine and saved it in .dev.vars.')
}

// The request log's schema in the local D1 database (nothing to do once applied).
applyLocalMigrations()

console.log(`Gateway and page: http://localhost:${port}`)
console.log(`Console:          http://localhost:${port}/admin/  (sign in with the admin token)`)
console.log(`Admin token:      ${adminToken}\n`)

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
