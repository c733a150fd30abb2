// Every page in Debian's chromium under its Content-Security-Policy, against the gateway under
// `wrangler dev`: the same strict policy on each, and no violation or console error while the page
// loads and works (the main page streams a generation, whose previews are data: URLs).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchChromium, startDemoGateway } from './demo-browser.mjs'

const PORT = Number(process.env.E2E_CSP_PORT ?? 8793)
const BASE = `http://127.0.0.1:${PORT}`
let server
let browser

before(async () => {
  server = await startDemoGateway(PORT)
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

/** A fresh page that notes every policy violation and console error. */
async function watched() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } })
  // Injected by the browser itself, so the page's CSP does not apply to this listener.
  await context.addInitScript(() => {
    window.__violations = []
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    )
  })
  const page = await context.newPage()
  const errors = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(String(error)))
  return { context, page, errors }
}

/** The policy `path` is served with. */
async function policyOf(path) {
  return (await fetch(`${BASE}${path}`)).headers.get('content-security-policy')
}

test('the page, /docs and the console carry one strict policy', async () => {
  const policies = await Promise.all(
    ['/', '/index.html', '/docs', '/admin/', '/admin/console.js', '/app.js'].map(policyOf),
  )
  assert.ok(policies[0], 'the page has a policy')
  for (const policy of policies) assert.equal(policy, policies[0])
  for (const directive of [
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ])
    assert.ok(policies[0].includes(directive), directive)
  assert.doesNotMatch(policies[0], /unsafe-inline|unsafe-eval/)
})

test('the page generates a picture with no violation or console error', async () => {
  const { context, page, errors } = await watched()
  await page.goto(BASE)
  await page.waitForSelector('body[data-ready="true"]')
  await page.fill('#prompt', 'a lighthouse at dawn')
  await page.fill('#partial_images', '2')
  await page.click('#submit')
  await page.waitForSelector('#stage[data-phase="done"]', { timeout: 60_000 })
  await page.waitForFunction(() => document.querySelector('#previews img.final')?.naturalWidth)
  assert.deepEqual(await page.evaluate(() => window.__violations), [])
  assert.deepEqual(errors, [])
  await context.close()
})

test('/docs renders with no violation or console error', async () => {
  const { context, page, errors } = await watched()
  await page.goto(`${BASE}/docs`)
  await page.waitForSelector('.opblock')
  assert.deepEqual(await page.evaluate(() => window.__violations), [])
  assert.deepEqual(errors, [])
  await context.close()
})

test('<gpt-image> on a site with a strict policy of its own (no inline style) looks right', {
  timeout: 60_000,
}, async () => {
  const { context, page, errors } = await watched()
  // The site's own policy in a meta element (a page on another origin would meet Chromium's
  // local network access checks against the loopback gateway).
  const policy = `default-src 'none'; script-src ${BASE}; style-src 'none'; img-src ${BASE} data:; connect-src ${BASE}`
  await page.setContent(
    `<meta http-equiv="Content-Security-Policy" content="${policy}"><script type="module" src="${BASE}/embed.js"></script><gpt-image prompt="a strict fox" size="1024x1024" partial_images="1"></gpt-image>`,
  )
  const seen = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const element = document.querySelector('gpt-image')
        const ready = () => {
          const img = element.shadowRoot.querySelector('img')
          resolve({ width: img.naturalWidth, display: getComputedStyle(element).display })
        }
        customElements.whenDefined('gpt-image').then(() => {
          element.addEventListener('load', ready)
          element.addEventListener('error', (event) => reject(new Error(event.detail)))
        })
      }),
  )
  assert.equal(seen.width, 1024)
  assert.equal(seen.display, 'inline-block', "the element's own sheet applies")
  assert.deepEqual(await page.evaluate(() => window.__violations), [])
  assert.deepEqual(errors, [])
  await context.close()
})
