// `npm run keys -- <command>`: manage client keys through the admin API.
//   create --name NAME [--kind secret|publishable] [--origin URL ...] [--balance USD]
//          [--models a,b] [--max-n N] [--max-size WxH] [--max-quality low|medium|high] [--rate N]
//          [--client-rate N] [--regenerate] [--cache-scope shared|key] [--webhook-url URL]
//   list | revoke KEY_ID | credit KEY_ID USD
// Options for all: --gateway URL (default http://localhost:8787). ADMIN_TOKEN comes from the
// environment or .dev.vars.
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gateway: { type: 'string', default: 'http://localhost:8787' },
    name: { type: 'string' },
    kind: { type: 'string', default: 'secret' },
    origin: { type: 'string', multiple: true },
    balance: { type: 'string' },
    models: { type: 'string' },
    'max-n': { type: 'string' },
    'max-size': { type: 'string' },
    'max-quality': { type: 'string' },
    rate: { type: 'string' },
    'client-rate': { type: 'string' },
    regenerate: { type: 'boolean' },
    'cache-scope': { type: 'string' },
    'webhook-url': { type: 'string' },
  },
})

function fromDevVars(name: string): string | undefined {
  if (!existsSync('.dev.vars')) return undefined
  return new RegExp(`^\\s*${name}\\s*=\\s*"?([^"\\n]+)"?\\s*$`, 'm')
    .exec(readFileSync('.dev.vars', 'utf8'))?.[1]
    ?.trim()
}

const token = process.env.ADMIN_TOKEN ?? fromDevVars('ADMIN_TOKEN')
if (!token) {
  console.error('Set ADMIN_TOKEN (environment or .dev.vars) to the gateway admin token.')
  process.exit(2)
}

// biome-ignore lint/suspicious/noExplicitAny: a CLI printing whatever JSON the admin API answers
type Json = any

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${(values.gateway ?? '').replace(/\/+$/, '')}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json: Json = await res.json()
  if (!res.ok) {
    console.error(`${res.status}: ${json.error?.message ?? JSON.stringify(json)}`)
    process.exit(1)
  }
  return json
}

const num = (value: string | undefined) => (value === undefined ? undefined : Number(value))
const [command, ...args] = positionals

if (command === 'create') {
  const permissions = {
    models: values.models?.split(',').map((m) => m.trim()),
    max_n: num(values['max-n']),
    max_size: values['max-size'],
    max_quality: values['max-quality'],
    regenerate: values.regenerate,
  }
  const key = await call('POST', '/keys', {
    name: values.name,
    kind: values.kind,
    origins: values.origin,
    balance_usd: num(values.balance),
    rate_limit_per_minute: num(values.rate),
    client_rate_limit_per_minute: num(values['client-rate']),
    cache_scope: values['cache-scope'],
    webhook_url: values['webhook-url'],
    permissions: Object.values(permissions).some((v) => v !== undefined) ? permissions : undefined,
  })
  console.log(JSON.stringify(key, null, 2))
  console.log(`\nThe key (shown once): ${key.key}`)
  if (key.webhook_secret) console.log(`Its webhook secret (shown once): ${key.webhook_secret}`)
} else if (command === 'list') {
  console.table((await call('GET', '/keys')).data)
} else if (command === 'revoke' && args[0]) {
  console.log(JSON.stringify(await call('POST', `/keys/${args[0]}/revoke`), null, 2))
} else if (command === 'credit' && args[0] && args[1]) {
  console.log(
    JSON.stringify(
      await call('POST', `/keys/${args[0]}/credit`, { amount_usd: Number(args[1]) }),
      null,
      2,
    ),
  )
} else {
  console.error(
    'Usage: npm run keys -- create --name NAME [--kind secret|publishable] [--origin URL] [--balance USD] | list | revoke KEY_ID | credit KEY_ID USD',
  )
  process.exit(2)
}
