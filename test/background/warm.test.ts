/**
 * `npm run warm`: the scan finds a built site's embed URLs (`<img src>` and `<gpt-image>`, HTML
 * entities read, each once), and the run submits them, follows their batch to its end and says
 * which failed and why, against the worker itself through a fetch shim; afterwards every embed
 * answers from the cache on its first visit.
 */
import { describe, expect, it } from 'vitest'
import {
  failures,
  progressBar,
  submit,
  totals,
  type WarmOptions,
  waitFor,
} from '../../scripts/warm/batch'
import { embedUrlsInHtml, embedUrlsInList } from '../../scripts/warm/scan'
import { QUEUE_NAMES } from '../../src/background/queues'
import { signedEmbedUrl } from '../../src/embed/signing'
import { errorReply } from '../fakes/upstream'
import {
  CLIENT_KEY,
  callGateway,
  ENVS,
  fakeUpstream,
  GATEWAY_URL,
  gatewayFetch,
} from '../helpers/gateway'
import { CapturedQueue, deliver } from '../helpers/queues'

const SECRET = 'embed-secret-for-warm'

describe('the scan', () => {
  it('finds <img src> embed URLs and <gpt-image> tags, each once, and nothing else', () => {
    const html = `<!doctype html><html><body>
      <img src="https://img.example.com/v1/images/embed?prompt=a%20fox&amp;size=1024x1024&amp;sig=abc" alt="fox">
      <img alt='x' src='/v1/images/embed?prompt=a+fox&amp;size=1024x1024&amp;sig=abc'>
      <img src="/logo.png"><img src=/v1/images/embed?prompt=bare>
      <gpt-image prompt="a lighthouse &quot;at&quot; dawn" size="1536x1024" partial_images="2"></gpt-image>
      <gpt-image src="/v1/images/embed?prompt=given&amp;sig=s"></gpt-image>
      <gpt-image size="1024x1024"></gpt-image>
    </body></html>`
    expect(embedUrlsInHtml(html)).toEqual([
      '/v1/images/embed?prompt=a%20fox&size=1024x1024&sig=abc',
      '/v1/images/embed?prompt=a+fox&size=1024x1024&sig=abc',
      '/v1/images/embed?prompt=bare',
      `/v1/images/embed?${new URLSearchParams({ prompt: 'a lighthouse "at" dawn', size: '1536x1024', partial_images: '2' })}`,
      '/v1/images/embed?prompt=given&sig=s',
    ])
  })

  it('reads a list of URLs, skipping comments and refusing what is not an embed URL', () => {
    const text = '# site\nhttps://g.example/v1/images/embed?prompt=a\n\n/v1/images/x.png\n'
    expect(embedUrlsInList(text)).toEqual({
      urls: ['/v1/images/embed?prompt=a'],
      refused: ['/v1/images/x.png'],
    })
  })
})

describe('the warm-up run', () => {
  it('makes every embed of a site, says which failed and why, and the site then hits the cache', async () => {
    const fake = fakeUpstream()
    const items = new CapturedQueue()
    const env = { ...ENVS.remote, EMBED_SIGNING_SECRET: SECRET, BATCH_ITEMS: items.asQueue }
    const prompts = ['a fox', 'a hare', 'an owl']
    const signed = await Promise.all(
      prompts.map((prompt) => signedEmbedUrl(GATEWAY_URL, SECRET, new URLSearchParams({ prompt }))),
    )
    const html = signed.map((url) => `<img src="${url.replaceAll('&', '&amp;')}">`).join('\n')
    const urls = embedUrlsInHtml(html)
    expect(urls).toHaveLength(3)
    const options: WarmOptions = {
      gateway: GATEWAY_URL,
      key: CLIENT_KEY,
      fetch: (input, init) => gatewayFetch(new Request(input, init), env),
    }
    fake.reply(errorReply(400, { code: 'moderation_blocked', type: 'image_generation_user_error' }))
    const batches = await submit(urls, options)
    const bars: string[] = []
    const states = await waitFor(batches, {
      ...options,
      // Between two reads, the queue delivers what was sent.
      pause: async () => {
        await deliver(QUEUE_NAMES.batchItems, items.take(), env)
      },
      progress: (s) => bars.push(progressBar(totals(s), 10)),
    })
    expect(bars[0]).toBe('[..........] 0/3')
    expect(bars.at(-1)).toBe('[##########] 3/3 (1 failed)')
    expect(totals(states)).toMatchObject({ total: 3, completed: 2, failed: 1 })
    const lines = failures(batches, states)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\/v1\/images\/embed\?prompt=.*: moderation_blocked: /)
    const made = urls.filter((url) => !lines[0]?.startsWith(url))
    for (const url of made) {
      const visit = await callGateway(url, { env })
      expect(visit.status).toBe(302)
      expect(visit.headers.get('x-cache')).toBe('HIT')
    }
    const again = await submit(made, options)
    await deliver(QUEUE_NAMES.batchItems, items.take(), env)
    const second = await waitFor(again, { ...options, pause: async () => {}, progress: () => {} })
    expect(totals(second)).toMatchObject({ total: 2, skipped_cached: 2 })
    expect(fake.calls).toHaveLength(3)
  })
})
