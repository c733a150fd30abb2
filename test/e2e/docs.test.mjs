// Browser tests of the API reference at /docs (Swagger UI, served from our own origin) in Debian's
// chromium, against the gateway under `wrangler dev`: its order, its locks, "Try it out", and that
// it runs under its Content-Security-Policy with nothing fetched from anywhere else.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { launchChromium, startDemoGateway } from './demo-browser.mjs'

const PORT = Number(process.env.E2E_DOCS_PORT ?? 8792)
const BASE = `http://127.0.0.1:${PORT}`
let server
let browser
let context
let docs
/** What the page tried to load from anywhere but the gateway (each refused). */
const outside = []
let policy

before(async () => {
  server = await startDemoGateway(PORT)
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 1000 } })
  await context.route(
    (url) => url.origin !== BASE,
    (route) => {
      outside.push(route.request().url())
      return route.abort()
    },
  )
  // Injected by the browser itself, so the page's CSP does not apply to this listener.
  await context.addInitScript(() => {
    window.__violations = []
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    )
  })
  docs = await context.newPage()
  policy = (await docs.goto(`${BASE}/docs`)).headers()['content-security-policy']
  await docs.waitForSelector('.opblock')
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

/** The operation block of `method path`. */
function operation(method, path) {
  return docs.locator(`.opblock-${method}`, {
    has: docs.locator(`.opblock-summary-path[data-path="${path}"]`),
  })
}

/** Opens an operation's block and returns it. */
async function opened(method, path) {
  const block = operation(method, path)
  await block.locator('.opblock-summary-control').click()
  await block.locator('.opblock-body').waitFor()
  return block
}

test('/docs lists every documented route, generations then edits first, the admin API last', async () => {
  const document = await (await fetch(`${BASE}/openapi.json`)).json()
  const documented = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  )
  const shown = await docs.$$eval('.opblock-summary', (summaries) =>
    summaries.map(
      (summary) =>
        `${summary.querySelector('.opblock-summary-method').textContent} ${summary.querySelector('.opblock-summary-path').dataset.path}`,
    ),
  )
  assert.ok(documented.length >= 12, `routes documented: ${documented}`)
  assert.deepEqual(shown, documented)
  assert.deepEqual(shown.slice(0, 2), ['POST /v1/images/generations', 'POST /v1/images/edits'])
  const admin = shown.filter((name) => name.includes(' /v1/admin/'))
  assert.ok(admin.length > 0)
  assert.deepEqual(shown.slice(-admin.length), admin)
})

test('/docs shows the routes’ real fields: the edit forms, the sign body', async () => {
  const edits = await (await opened('post', '/v1/images/edits')).textContent()
  for (const text of ['multipart/form-data', 'image[]', 'input_fidelity', 'image_url'])
    assert.ok(edits.includes(text), `${text} in the edits route`)
  const sign = await (await opened('post', '/v1/images/embed/sign')).textContent()
  for (const field of ['expires_in', 'output_compression', 'moderation'])
    assert.ok(sign.includes(field), `${field} in the sign route`)
})

test('/docs marks the admin API as needing ADMIN_TOKEN, and a generation as needing a client key', async () => {
  for (const [method, path, scheme, other] of [
    ['post', '/v1/admin/keys/{id}/credit', 'adminToken', 'bearer'],
    ['post', '/v1/images/generations', 'bearer', 'adminToken'],
  ]) {
    await operation(method, path).locator('.authorization__btn').click()
    const dialog = docs.locator('.modal-ux')
    const schemes = await dialog.locator('.auth-container h4 code').allTextContents()
    assert.deepEqual(schemes, [scheme], `${method} ${path}`)
    assert.ok(!schemes.includes(other))
    await dialog.locator('.btn-done, button.close-modal').first().click()
    await dialog.waitFor({ state: 'detached' })
  }
})

test('"Try it out" on GET /v1/models gets a 200 from this gateway', async () => {
  const models = await opened('get', '/v1/models')
  await models.locator('button.try-out__btn').click()
  await models.locator('button.execute').click()
  const status = models.locator('.live-responses-table tbody .response-col_status')
  await status.waitFor()
  assert.equal((await status.textContent()).trim(), '200')
  assert.match(
    await models.locator('.live-responses-table .microlight').first().textContent(),
    /"gpt-image-1"/,
  )
  assert.match(
    await models.locator('.request-url pre').textContent(),
    new RegExp(`^${BASE}/v1/models`),
  )
})

test("/docs runs under script-src 'self' with no violation, loading nothing from elsewhere", async () => {
  assert.match(policy ?? '', /script-src 'self'(;|$)/)
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/)
  assert.deepEqual(await docs.evaluate(() => window.__violations), [])
  assert.deepEqual(outside, [])
  const scripts = await docs.$$eval('script', (elements) =>
    elements.map((element) => element.src || `inline: ${element.textContent.slice(0, 40)}`),
  )
  assert.deepEqual(scripts, [
    `${BASE}/vendor/swagger-ui/swagger-ui-bundle.js`,
    `${BASE}/docs-init.js`,
  ])
})

test('/openapi.json is a valid OpenAPI 3.1 document', async () => {
  const validator = new Validator()
  const result = await validator.validate(await (await fetch(`${BASE}/openapi.json`)).json())
  assert.equal(validator.version, '3.1')
  assert.deepEqual(result, { valid: true })
})
