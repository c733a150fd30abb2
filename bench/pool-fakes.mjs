// Loopback fakes for `node bench/pool.mjs`: an OpenAI images API and an Azure OpenAI resource
// (classic route, `api-key`), each enforcing its images a minute over any 60 s (429 with
// retry-after / retry-after-ms past it), answering after `genMs`, and noting when each request came.
import { createServer } from 'node:http'

const PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'
const USAGE = { input_tokens: 10, output_tokens: 1056, total_tokens: 1066 }

/** `kind`: 'openai' or 'azure'. Returns { url, stats, close }. */
export async function startLimitedFake({ kind, perMinute, genMs, key }) {
  const admitted = [] // times, one per image
  const stats = { calls: 0, limited: 0, served: 0, arrivals: new Map() }
  const server = createServer(async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    stats.calls++
    const tag = /#(\S+)/.exec(body.prompt ?? '')?.[1]
    if (tag && !stats.arrivals.has(tag)) stats.arrivals.set(tag, Date.now())
    const authorized =
      kind === 'azure'
        ? req.headers['api-key'] === key && req.url.includes('/openai/deployments/')
        : req.headers.authorization === `Bearer ${key}`
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end('{"error":{"code":"401","message":"bad key"}}')
      return
    }
    const n = body.n ?? 1
    const now = Date.now()
    while (admitted.length > 0 && admitted[0] <= now - 60_000) admitted.shift()
    if (admitted.length + n > perMinute) {
      stats.limited++
      const waitMs = (admitted[admitted.length + n - perMinute - 1] ?? now) + 60_000 - now
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(Math.ceil(waitMs / 1000)),
        'retry-after-ms': String(waitMs),
      })
      res.end(
        JSON.stringify({
          error: { code: kind === 'azure' ? '429' : 'rate_limit_exceeded', message: 'limited' },
        }),
      )
      return
    }
    for (let i = 0; i < n; i++) admitted.push(now)
    await new Promise((resolve) => setTimeout(resolve, genMs))
    stats.served += n
    const data = Array.from({ length: n }, () => ({ b64_json: PNG_B64 }))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ created: Math.floor(now / 1000), data, usage: USAGE }))
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  const url = kind === 'azure' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`
  return { url, stats, close: () => new Promise((resolve) => server.close(resolve)) }
}
