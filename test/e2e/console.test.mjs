// The operator's console at /admin/ in Debian's chromium, against the gateway under `wrangler dev`
// (demo generator, an ADMIN_TOKEN, the D1 log migrated): sign in, create a key and see it once,
// make a request with it, see its row with a thumbnail and its cost, revoke it, see 401. Under
// the strict policy with no violation; hostile prompts shown as text. Screenshots at desktop and
// phone width go to test-results/console/ for a person to look at.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { startWranglerDev } from '../../scripts/wrangler-dev.mjs'
import { launchChromium } from './demo-browser.mjs'

const PORT = Number(process.env.E2E_CONSOLE_PORT ?? 8794)
const BASE = `http://127.0.0.1:${PORT}`
const ADMIN = 'console-e2e-admin-token'
const SHOTS = 'test-results/console'
const HOSTILE = '<img src=x onerror="window.__pwned=1"> a fox'
let server
let browser
let context
let page
const errors = []
/** The key the console created, as its card and the one answer showed it. */
let created

before(async () => {
  server = await startWranglerDev({
    port: PORT,
    readyPath: '/v1/models',
    vars: { UPSTREAM_API_KEY: '', UPSTREAM_BASE_URL: '', GATEWAY_KEYS: '', ADMIN_TOKEN: ADMIN },
  })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE })
  await context.addInitScript(() => {
    window.__violations = []
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    )
  })
  page = await context.newPage()
  page.on('pageerror', (error) => errors.push(String(error)))
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`)
    return dialog.dismiss()
  })
  mkdirSync(SHOTS, { recursive: true })
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

/** A generation through the gateway with `key` (or none), answered with URLs. */
function generate(key, prompt) {
  return fetch(`${BASE}/v1/images/generations`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({
      model: 'gpt-image-1-mini',
      prompt,
      size: '1024x1024',
      quality: 'low',
      response_format: 'url',
    }),
  })
}

/**
 * Rows written straight into the log's D1 (outcomes the demo cannot produce: an upstream's cost
 * beyond what was reserved, a refusal), as the log writer would write them.
 */
function seed(rows) {
  const text = (v) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`)
  const values = rows.map((r) =>
    [
      text(r.id),
      Date.now() - 1000,
      text(r.key_id),
      text('generation'),
      text('gpt-image-1'),
      text('1024x1024'),
      text('high'),
      1,
      text(r.cache),
      r.status,
      text(r.code),
      r.reserved,
      r.charged,
      r.cost,
      text(r.prompt),
      text(JSON.stringify(r.images ?? [])),
      (r.images ?? []).length,
    ].join(', '),
  )
  const sql = `INSERT INTO request_log (id, created_at, key_id, kind, model, size, quality, n, cache,
    status, code, reserved_micros, charged_micros, cost_micros, prompt, images, image_count)
    VALUES (${values.join('), (')})`
  execFileSync(
    'wrangler',
    ['d1', 'execute', 'USAGE', '--local', '--persist-to', server.state, '--command', sql],
    {
      stdio: 'ignore',
      env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' },
    },
  )
}

/** Opens a tab of the console and waits until it has loaded. */
async function open(view) {
  await page.click(`[data-view="${view}"]`)
  await page.waitForSelector(`#${view}[data-loaded="true"]`)
}

test('a wrong token is refused; the right one signs in, kept in sessionStorage only', async () => {
  await page.goto(`${BASE}/admin/`)
  await page.waitForSelector('body[data-ready="true"]')
  await page.screenshot({ path: `${SHOTS}/sign-in.png` })
  await page.fill('#admin-token', 'not-the-token')
  await page.click('#sign-in-form button[type="submit"]')
  await page.waitForSelector('#sign-in-problem:not([hidden])')
  assert.match(await page.textContent('#sign-in-problem'), /incorrect|invalid|wrong/i)
  await page.fill('#admin-token', ADMIN)
  await page.click('#sign-in-form button[type="submit"]')
  await page.waitForSelector('#overview[data-loaded="true"]')
  assert.equal(await page.evaluate(() => sessionStorage.getItem('gateway-admin-token')), ADMIN)
  assert.equal(await page.evaluate(() => localStorage.length), 0)
  assert.ok(!page.url().includes(ADMIN), 'the token is never in the URL')
})

test('a key is created with its permissions and shown once, with a copy button; credited', async () => {
  await open('keys')
  await page.click('#create summary')
  await page.fill('#new-key-form [name="name"]', 'console e2e')
  await page.fill('#new-key-form [name="balance_usd"]', '2')
  await page.fill('#new-key-form [name="max_n"]', '2')
  await page.selectOption('#new-key-form [name="max_quality"]', 'medium')
  await page.check('#new-key-form input[name="models"][value="gpt-image-1-mini"]')
  await page.click('#new-key-form button[type="submit"]')
  await page.waitForSelector('#new-key-secret')
  const secret = await page.textContent('#new-key-secret')
  assert.match(secret, /^sk-gw-/)
  await page.click('#copy-key')
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret)
  const card = page.locator('.key-card', { hasText: 'console e2e' })
  await card.waitFor()
  const id = await card.getAttribute('data-key')
  assert.match(await card.textContent(), /\$2\.00/)
  assert.match(await card.textContent(), /models gpt-image-1-mini · n ≤ 2 · quality ≤ medium/)
  await page.screenshot({ path: `${SHOTS}/keys-created.png`, fullPage: true })
  await page.click('#dismiss-key')
  await card.locator('.amount').fill('3')
  await card.locator('.credit button').click()
  await page.waitForFunction(
    (key) =>
      document.querySelector(`[data-key="${key}"] [data-stat="balance"] dd`)?.textContent ===
      '$5.00',
    id,
  )
  await open('keys')
  assert.ok(
    !(await page.evaluate(() => document.documentElement.outerHTML)).includes(secret),
    'shown once',
  )
  created = { id, secret }
})

test('a request with the key shows in Activity with its thumbnail and its cost', async () => {
  const made = await generate(created.secret, 'a lighthouse at dawn')
  assert.equal(made.status, 200, await made.clone().text())
  await open('activity')
  await page.selectOption('#filter-key', created.id)
  const row = page.locator('.request', { hasText: 'a lighthouse at dawn' })
  await row.waitFor()
  assert.equal(await page.locator('.request').count(), 1, 'the key filter leaves its row only')
  await page.waitForFunction(() => {
    const img = document.querySelector('.request .thumb img')
    return img?.complete && img.naturalWidth > 0
  })
  const thumb = await row.locator('.thumb img').evaluate((img) => ({
    src: img.currentSrc,
    width: img.naturalWidth,
  }))
  // wrangler dev has the Images binding (sharp): the thumbnail is the 256-wide variant.
  assert.match(thumb.src, /\/v1\/images\/[0-9a-f]{32}\.png\?width=256&format=webp$/)
  assert.equal(thumb.width, 256)
  assert.match(await row.locator('[data-field="cost"]').textContent(), /cost \$0\.00/)
  assert.equal(await row.locator('[data-field="model"]').textContent(), 'gpt-image-1-mini')
  assert.equal(await row.locator('[data-field="cache"]').textContent(), 'MISS')
  await row.locator('.thumb').click()
  await page.waitForFunction(() => document.querySelector('#picture img')?.naturalWidth === 1024)
  await page.screenshot({ path: `${SHOTS}/picture.png` })
  await page.click('#picture-close')
})

test('without the Images binding (variants refused) the thumbnail is the picture itself', async () => {
  const refuse = (route) =>
    route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":{}}' })
  await page.route('**/v1/images/*.png?width=256&format=webp', refuse)
  await open('activity')
  await page.waitForFunction(() => {
    const img = document.querySelector('.request .thumb img')
    return img?.complete && img.naturalWidth > 0
  })
  const thumb = await page.$eval('.request .thumb img', (img) => [img.currentSrc, img.naturalWidth])
  assert.match(thumb[0], /\/v1\/images\/[0-9a-f]{32}\.png$/)
  assert.equal(thumb[1], 1024)
  await page.unroute('**/v1/images/*.png?width=256&format=webp', refuse)
})

test('a hostile prompt is shown as text, and nothing of it runs', async () => {
  seed([
    {
      id: 'gw_hostile',
      key_id: 'anonymous',
      cache: 'HIT',
      status: 200,
      code: null,
      reserved: 0,
      charged: 0,
      cost: 0,
      prompt: HOSTILE,
    },
  ])
  await open('activity')
  await page.selectOption('#filter-key', '')
  const row = page.locator('.request', { hasText: 'onerror' })
  await row.waitFor()
  assert.equal(await row.locator('.prompt').textContent(), HOSTILE)
  assert.equal(await row.locator('.details img').count(), 0)
  assert.equal(await page.evaluate(() => window.__pwned), undefined)
  await page.screenshot({ path: `${SHOTS}/activity.png`, fullPage: true })
})

test('an unbilled cost is highlighted, and errors are counted by their code', async () => {
  const file = (await (await generate(null, 'a red kite')).json()).data[0].url.split('/').pop()
  seed([
    {
      id: 'gw_anomaly',
      key_id: 'anonymous',
      cache: 'MISS',
      status: 200,
      code: null,
      reserved: 170000,
      charged: 170000,
      cost: 250000,
      prompt: 'a costly kite',
      images: [file],
    },
    {
      id: 'gw_refused',
      key_id: 'anonymous',
      cache: null,
      status: 429,
      code: 'rate_limit_exceeded',
      reserved: 0,
      charged: 0,
      cost: 0,
      prompt: 'too fast',
    },
  ])
  await open('activity')
  const row = page.locator('.request.anomaly')
  await row.waitFor()
  assert.equal(await row.getAttribute('data-id'), 'gw_anomaly')
  assert.match(await row.locator('[data-field="unbilled"]').textContent(), /unbilled \$0\.08/)
  assert.equal(
    await page.locator('.request.failed[data-id="gw_refused"] [data-field="code"]').textContent(),
    'rate_limit_exceeded',
  )
  await open('overview')
  assert.match(await page.textContent('#errors'), /rate_limit_exceeded\s*1/)
})

test('the overview counts the requests and shows the charts', async () => {
  await open('overview')
  assert.match(await page.textContent('#spend'), /Requests, 30 days\s*[1-9]/)
  assert.equal(await page.locator('#charts svg.chart').count(), 2)
  assert.equal(await page.locator('#charts svg.chart rect.bar').count(), 60)
  assert.equal(await page.isVisible('#upstreams-panel'), false, 'no pool here: its panel hidden')
  await page.screenshot({ path: `${SHOTS}/overview.png`, fullPage: true })
})

test('the upstreams panel shows when the pool answers GET /v1/admin/upstreams', async () => {
  const pool = (route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        object: 'list',
        pooled: true,
        data: [
          {
            name: '<b>azure-east</b>',
            kind: 'azure',
            state: 'healthy',
            images_last_minute: 2,
            capacity: 20,
            capacity_source: 'declared',
            state_until: null,
            last_error: null,
            queue_length: 0,
          },
          {
            name: 'openai',
            kind: 'openai',
            state: 'cooling_down',
            images_last_minute: 0,
            capacity: null,
            capacity_source: null,
            state_until: null,
            last_error: { category: 'rate_limited', at: new Date().toISOString() },
            queue_length: 1,
          },
        ],
      }),
    })
  await page.route('**/v1/admin/upstreams', pool)
  await open('overview')
  assert.equal(await page.isVisible('#upstreams-panel'), true)
  const items = page.locator('#upstreams li')
  assert.equal(await items.first().locator('strong').textContent(), '<b>azure-east</b>')
  assert.match(await items.first().textContent(), /healthy.*azure.*2\/20 images a minute.*queue 0/)
  assert.match(
    await items.last().textContent(),
    /cooling_down.*0\/\? images a minute.*queue 1.*last error rate_limited/,
  )
  await page.screenshot({ path: `${SHOTS}/overview-pool.png`, fullPage: true })
  await page.unroute('**/v1/admin/upstreams', pool)
})

test('revoking the key (asked twice) makes it answer 401', async () => {
  await open('keys')
  const card = page.locator(`.key-card[data-key="${created.id}"]`)
  await card.locator('.revoke').click()
  assert.equal(await card.locator('.revoke').textContent(), 'Revoke: sure?')
  await card.locator('.revoke').click()
  await page.locator(`.key-card.revoked[data-key="${created.id}"]`).waitFor()
  assert.equal((await generate(created.secret, 'after revoking')).status, 401)
})

test('every view fits a phone, with no sideways scroll', async () => {
  await page.setViewportSize({ width: 390, height: 844 })
  for (const view of ['overview', 'keys', 'activity']) {
    await open(view)
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= 390, `${view}: no sideways scroll (${width}px)`)
    await page.screenshot({ path: `${SHOTS}/phone-${view}.png`, fullPage: true })
  }
  await page.setViewportSize({ width: 1280, height: 900 })
})

test('the console ran under the strict policy with no violation or error', async () => {
  const res = await fetch(`${BASE}/admin/`)
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self';/)
  assert.deepEqual(await page.evaluate(() => window.__violations), [])
  assert.deepEqual(errors, [])
})

test('signing out forgets the token', async () => {
  await page.click('#sign-out')
  assert.equal(await page.evaluate(() => sessionStorage.length), 0)
  await page.reload()
  await page.waitForSelector('body[data-ready="true"]')
  assert.equal(await page.isVisible('#sign-in'), true)
})
