// Browser tests of the page, in Debian's chromium driven by playwright-core, against the gateway
// under `wrangler dev` with the demo generator. Run with `npm run test:e2e`; each run writes
// test-results/page.png (the finished page) for a person to look at.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { encode as encodePng } from 'fast-png'
import { launchChromium, startDemoGateway } from './demo-browser.mjs'

const PORT = Number(process.env.E2E_PORT ?? 8791)
const BASE = `http://127.0.0.1:${PORT}`
let server
let browser
let page

before(async () => {
  server = await startDemoGateway(PORT)
  browser = await launchChromium()
  page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage()
  await page.goto(BASE)
  await page.waitForSelector('body[data-ready="true"]')
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('the page says the demo generator is serving', async () => {
  assert.equal(await page.isVisible('#demo-badge'), true)
})

test('a generation shows partial images before the final image, which renders', async () => {
  await page.evaluate(() => {
    window.__phases = []
    new MutationObserver(() => {
      const stage = document.getElementById('stage')
      const shown = [...document.querySelectorAll('#previews img')].map(
        (img) => `${img.className}:${img.complete && img.naturalWidth > 0}`,
      )
      window.__phases.push(`${stage.dataset.phase} ${shown.join(',')}`)
    }).observe(document.getElementById('stage'), {
      attributes: true,
      subtree: true,
      childList: true,
    })
  })
  await page.fill('#prompt', 'a lighthouse at dawn')
  await page.fill('#partial_images', '2')
  await page.click('#submit')
  await page.waitForSelector('#stage[data-phase="done"]', { timeout: 60_000 })
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#previews img.final')].every(
      (img) => img.complete && img.naturalWidth > 0,
    ),
  )
  const phases = await page.evaluate(() => window.__phases)
  const firstPartial = phases.findIndex((p) => p.startsWith('partial'))
  const firstDone = phases.findIndex((p) => p.startsWith('done'))
  assert.ok(firstPartial >= 0, `a partial image was shown: ${phases.join(' | ')}`)
  assert.ok(firstPartial < firstDone, 'the partial image came before the final one')
  const width = await page.$eval('#previews img.final', (img) => img.naturalWidth)
  assert.equal(width, 1024)
})

test('the gallery keeps the picture across a reload', async () => {
  await page.reload()
  await page.waitForSelector('body[data-ready="true"]')
  await page.waitForFunction(() => {
    const img = document.querySelector('#gallery .card img')
    return img?.complete && img.naturalWidth > 0
  })
  assert.equal(await page.$eval('#gallery .card img', (img) => img.alt), 'a lighthouse at dawn')
})

test('every form field fits its column, the end-user id too, on a desktop and a phone', async () => {
  for (const viewport of [
    { width: 1280, height: 1000 },
    { width: 1024, height: 768 },
    { width: 390, height: 844 },
    { width: 320, height: 640 },
  ]) {
    const context = await browser.newContext({ viewport })
    const view = await context.newPage()
    await view.goto(BASE)
    await view.waitForSelector('body[data-ready="true"]')
    const overflows = await view.$$eval('.fields label', (labels) =>
      labels
        .filter((label) => label.offsetParent !== null)
        .flatMap((label) => {
          const column = label.getBoundingClientRect()
          return [...label.querySelectorAll('input, select')].map((field) => {
            const box = field.getBoundingClientRect()
            return {
              id: field.id,
              over: Math.max(column.left - box.left, box.right - column.right),
            }
          })
        })
        .filter(({ over }) => over > 0.5),
    )
    assert.deepEqual(overflows, [], `fields wider than their column at ${viewport.width}px`)
    const user = await view.$eval('#user', (field) => {
      const box = field.getBoundingClientRect()
      const column = field.closest('label').getBoundingClientRect()
      return { left: box.left - column.left, right: column.right - box.right }
    })
    assert.ok(
      user.left >= -0.5 && user.right >= -0.5,
      `#user in its column: ${JSON.stringify(user)}`,
    )
    const page = await view.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(page <= viewport.width, `no sideways scroll at ${viewport.width}px (${page}px)`)
    await context.close()
  }
})

/** A wide RGB png with a gradient, as a page user might pick. */
function widePng(width = 96, height = 64) {
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set([(i % width) * 2, 120, 200], i * 3)
  return Buffer.from(encodePng({ width, height, data, channels: 3, depth: 8 }))
}

test('an edit: pictures picked, a mask painted, previews, then the edit, kept in the gallery', async () => {
  await page.check('input[name="mode"][value="edit"]')
  assert.equal(await page.textContent('#submit'), 'Edit')
  await page.setInputFiles('#edit-images', [
    { name: 'street.png', mimeType: 'image/png', buffer: widePng() },
    { name: 'sky.png', mimeType: 'image/png', buffer: widePng(32, 32) },
  ])
  assert.equal(await page.locator('#edit-thumbs li').count(), 2)
  await page.check('#mask-on')
  await page.waitForFunction(() => document.getElementById('mask-base').width > 0)
  const box = await page.locator('#mask-strokes').boundingBox()
  await page.mouse.move(box.x + 5, box.y + 5)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 8 })
  await page.mouse.up()
  await page.fill('#prompt', 'the same street at night')
  await page.fill('#partial_images', '2')
  // What the page sends: the FormData's entries, files by name, type and size.
  await page.evaluate(() => {
    const send = window.fetch
    window.fetch = (url, init) => {
      if (init?.body instanceof FormData)
        window.__sent = [...init.body.entries()].map(([k, v]) =>
          typeof v === 'string' ? [k, v] : [k, { name: v.name, type: v.type, size: v.size }],
        )
      return send(url, init)
    }
  })
  const phases = []
  const watch = setInterval(async () => {
    phases.push(await page.$eval('#stage', (s) => s.dataset.phase).catch(() => ''))
  }, 50)
  try {
    await page.click('#submit')
    await page.waitForSelector('#stage[data-phase="done"]', { timeout: 60_000 })
  } finally {
    clearInterval(watch)
  }
  const sent = await page.evaluate(() => window.__sent)
  const files = sent.filter(([, v]) => typeof v !== 'string').map(([k, v]) => [k, v.name, v.type])
  assert.deepEqual(files, [
    ['image[]', 'street.png', 'image/png'],
    ['image[]', 'sky.png', 'image/png'],
    ['mask', 'mask.png', 'image/png'],
  ])
  assert.ok(phases.indexOf('partial') >= 0, `a preview was shown: ${phases.join(' ')}`)
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#previews img.final')].every(
      (img) => img.complete && img.naturalWidth > 0,
    ),
  )
  // size auto follows the wide picture
  assert.equal(await page.$eval('#previews img.final', (img) => img.naturalWidth), 1536)
  mkdirSync('test-results', { recursive: true })
  await page.screenshot({ path: 'test-results/edit.png', fullPage: true })
  await page.reload()
  await page.waitForSelector('body[data-ready="true"]')
  const caption = await page.textContent('#gallery .card figcaption')
  assert.match(caption, /^Edit: the same street at night/)
  assert.equal(
    await page.locator('#gallery .card').first().locator('text=Generate again').count(),
    0,
  )
  await page.check('input[name="mode"][value="generate"]')
})

test('an invalid custom size shows the validator’s own message', async () => {
  await page.selectOption('#model', 'gpt-image-2')
  await page.selectOption('#size', 'custom')
  await page.fill('#width', '1000')
  await page.fill('#height', '1000')
  const shown = await page.textContent('#size-problem')
  const res = await fetch(`${BASE}/v1/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-image-2', prompt: 'x', size: '1000x1000' }),
  })
  const { error } = await res.json()
  assert.equal(shown, error.message)
  assert.equal(await page.isVisible('#size-problem'), true)
  await page.fill('#width', '1024')
  await page.fill('#height', '640')
  assert.equal(await page.isVisible('#size-problem'), false)
})

test('errors read like advice, taken from the error envelope', async () => {
  await page.selectOption('#model', 'gpt-image-1')
  await page.fill('#prompt', 'eleven foxes')
  await page.fill('#n', '11')
  await page.click('#submit')
  await page.waitForSelector('#error:not([hidden])')
  const text = await page.textContent('#error')
  assert.match(text, /Invalid 'n': integer above maximum value/)
  assert.match(text, /Change 'n' and try again/)
  await page.fill('#n', '1')
  mkdirSync('test-results', { recursive: true })
  await page.screenshot({ path: 'test-results/page.png', fullPage: true })
})

test('embed.js on another page streams previews, then shows the stored image', async () => {
  const site = await browser.newPage()
  await site.setContent(
    `<script type="module" src="${BASE}/embed.js"></script><gpt-image prompt="a red fox in the snow" size="1024x1024" partial_images="2"></gpt-image>`,
  )
  await site.waitForFunction(() => customElements.get('gpt-image') !== undefined)
  const seen = await site.evaluate(
    () =>
      new Promise((resolve) => {
        const element = document.querySelector('gpt-image')
        const img = element.shadowRoot.querySelector('img')
        const sources = []
        new MutationObserver(() => sources.push(img.src.slice(0, 30))).observe(img, {
          attributes: true,
          attributeFilter: ['src'],
        })
        element.addEventListener('load', () =>
          resolve({ sources, final: img.src, width: img.naturalWidth, alt: img.alt }),
        )
      }),
  )
  assert.ok(
    seen.sources.some((src) => src.startsWith('data:image/png;base64')),
    `a preview was shown: ${seen.sources.join(' | ')}`,
  )
  assert.match(seen.final, /\/v1\/images\/[0-9a-f]{32}\.png$/)
  assert.equal(seen.width, 1024)
  assert.equal(seen.alt, 'a red fox in the snow')
  await site.close()
})

/** The width in a WebP file's header (lossy VP8, lossless VP8L or extended VP8X). */
function webpWidth(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  const chunk = new TextDecoder().decode(bytes.subarray(12, 16))
  if (chunk === 'VP8 ') return view.getUint16(26, true) & 0x3fff
  if (chunk === 'VP8L') return (view.getUint16(21, true) & 0x3fff) + 1
  if (chunk === 'VP8X') return (view.getUint32(24, true) & 0xffffff) + 1
  throw new Error(`not a WebP file (${chunk})`)
}

test('<gpt-image width format> loads a variant from the ladder, with a srcset, at that width', {
  timeout: 60_000,
}, async () => {
  const site = await browser.newPage()
  await site.setContent(
    `<script type="module" src="${BASE}/embed.js"></script><gpt-image prompt="a small harbour" size="1024x1024" width="400" format="webp"></gpt-image>`,
  )
  await site.waitForFunction(() => customElements.get('gpt-image') !== undefined)
  const seen = await site.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const element = document.querySelector('gpt-image')
        const img = element.shadowRoot.querySelector('img')
        element.addEventListener('error', (event) => reject(new Error(event.detail)))
        element.addEventListener('load', () =>
          resolve({
            current: img.currentSrc,
            srcset: img.srcset,
            shown: img.getBoundingClientRect().width,
          }),
        )
      }),
  )
  // 1x, 1.5x and 2x of 400 pixels, each rounded up to the ladder.
  assert.deepEqual(
    seen.srcset
      .split(', ')
      .map((candidate) => candidate.match(/width=(\d+)&format=webp \1w$/)?.[1]),
    ['512', '768', '1024'],
  )
  assert.match(seen.current, /\/v1\/images\/[0-9a-f]{32}\.png\?width=512&format=webp$/)
  // naturalWidth is corrected for the srcset's density: read the file's own header instead.
  const file = await fetch(seen.current)
  assert.equal(file.headers.get('content-type'), 'image/webp')
  assert.equal(webpWidth(new Uint8Array(await file.arrayBuffer())), 512)
  assert.equal(Math.round(seen.shown), 400)
  await site.close()
})
