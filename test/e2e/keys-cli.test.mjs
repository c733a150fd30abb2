// The `npm run keys` CLI against a stand-in admin API on a loopback port: what each option puts
// in the request it sends. Run with `npm run test:e2e` (node, no browser, no wrangler).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
/** The requests the stand-in received: method, path, authorization and JSON body. */
const received = []
let server
let gateway

before(async () => {
  server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk) => {
      text += chunk
    })
    req.on('end', () => {
      const body = text ? JSON.parse(text) : undefined
      received.push({ method: req.method, url: req.url, auth: req.headers.authorization, body })
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'key_1', ...body, key: 'pk-gw-shown-once' }))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  gateway = `http://127.0.0.1:${server.address().port}`
})

after(() => server.close())

/** Runs the CLI with `args`, as `npm run keys -- args` does. */
function keys(...args) {
  return run(
    process.execPath,
    ['--no-warnings', 'scripts/keys.ts', ...args, '--gateway', gateway],
    {
      env: { ...process.env, ADMIN_TOKEN: 'admin-for-cli-test' },
    },
  )
}

test('create sends a publishable key’s rate and per-client rate', async () => {
  const { stdout } = await keys(
    'create',
    '--name',
    'blog',
    '--kind',
    'publishable',
    '--origin',
    'https://blog.example',
    '--rate',
    '600',
    '--client-rate',
    '60',
  )
  const sent = received.at(-1)
  assert.equal(sent.method, 'POST')
  assert.equal(sent.url, '/v1/admin/keys')
  assert.equal(sent.auth, 'Bearer admin-for-cli-test')
  assert.deepEqual(sent.body, {
    name: 'blog',
    kind: 'publishable',
    origins: ['https://blog.example'],
    rate_limit_per_minute: 600,
    client_rate_limit_per_minute: 60,
  })
  assert.match(stdout, /The key \(shown once\): pk-gw-shown-once/)
})

test('create leaves the per-client rate to the gateway when not given', async () => {
  await keys('create', '--name', 'server')
  assert.deepEqual(received.at(-1).body, { name: 'server', kind: 'secret' })
})
