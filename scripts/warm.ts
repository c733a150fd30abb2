// `npm run warm -- dist/`: generates every embed a built site will show before anyone visits.
// Scans HTML under a folder (or one HTML file) for <img src> embed URLs and <gpt-image> tags, or
// reads a list of embed URLs (one a line), submits them as batches, shows a progress bar until
// every picture is made, and exits 1 if any failed (printing which and why).
// Options: --gateway URL (default http://localhost:8787), --key KEY (or GATEWAY_KEY in the
// environment), --max-cost USD (per batch), --no-wait, --interval SECONDS (default 2).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  type BatchState,
  failures,
  progressBar,
  submit,
  totals,
  WarmError,
  waitFor,
} from './warm/batch.ts'
import { embedUrlsInHtml, embedUrlsInList } from './warm/scan.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gateway: { type: 'string', default: 'http://localhost:8787' },
    key: { type: 'string' },
    'max-cost': { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
    interval: { type: 'string', default: '2' },
  },
})

function htmlFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.html?$/i.test(name))
    .map((name) => join(path, name))
    .sort()
}

/** The embed URLs of every input, each once, in order. */
function collect(inputs: string[]): string[] {
  const urls = new Set<string>()
  for (const input of inputs) {
    if (statSync(input).isDirectory() || /\.html?$/i.test(input)) {
      for (const file of htmlFiles(input))
        for (const url of embedUrlsInHtml(readFileSync(file, 'utf8'))) urls.add(url)
      continue
    }
    const { urls: listed, refused } = embedUrlsInList(readFileSync(input, 'utf8'))
    for (const line of refused) console.error(`${input}: not an embed URL, skipped: ${line}`)
    for (const url of listed) urls.add(url)
  }
  return [...urls]
}

const key = values.key ?? process.env.GATEWAY_KEY
if (positionals.length === 0 || !key) {
  console.error(
    positionals.length === 0
      ? 'Usage: npm run warm -- dist/ [urls.txt ...] [--gateway URL] [--key KEY] [--max-cost USD] [--no-wait]'
      : 'Give a client key: --key, or GATEWAY_KEY in the environment.',
  )
  process.exit(2)
}

const urls = collect(positionals)
if (urls.length === 0) {
  console.log('No embed URLs found: nothing to warm.')
  process.exit(0)
}
const options = {
  gateway: values.gateway,
  key,
  fetch,
  ...(values['max-cost'] === undefined ? {} : { maxCostUsd: Number(values['max-cost']) }),
}
const interval = Math.max(0.2, Number(values.interval)) * 1000

try {
  const batches = await submit(urls, options)
  console.log(`Submitted ${urls.length} picture(s) in ${batches.length} batch(es):`)
  for (const batch of batches) console.log(`  ${values.gateway}/v1/images/batches/${batch.id}`)
  if (values['no-wait']) process.exit(0)
  // On a terminal the bar redraws in place; in a log, a line each time it moves.
  let shown = ''
  const draw = (states: BatchState[]) => {
    const bar = progressBar(totals(states))
    if (process.stderr.isTTY) process.stderr.write(`\r${bar}`)
    else if (bar !== shown) console.error(bar)
    shown = bar
  }
  const states = await waitFor(batches, {
    ...options,
    progress: draw,
    pause: () => new Promise((resolve) => setTimeout(resolve, interval)),
  })
  if (process.stderr.isTTY) process.stderr.write('\n')
  const sum = totals(states)
  const cost = states.reduce((total, state) => total + state.cost_usd, 0)
  console.log(
    `${sum.completed ?? 0} made, ${sum.skipped_cached ?? 0} already cached, ${sum.failed ?? 0} failed; $${cost.toFixed(4)} spent.`,
  )
  const problems = failures(batches, states)
  for (const line of problems) console.error(line)
  process.exit(problems.length > 0 ? 1 : 0)
} catch (error) {
  console.error(error instanceof WarmError ? error.message : error)
  process.exit(1)
}
