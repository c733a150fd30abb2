// `npm run sign -- "a red fox" --size 1024x1024`: prints a signed embed URL for a static page.
// Options: --model --size --quality --background --output-format --output-compression
// --moderation --partial-images N (for <gpt-image> to show the picture forming) --expires-in
// SECONDS --gateway URL (default http://localhost:8787).
// The secret comes from EMBED_SIGNING_SECRET in the environment or in .dev.vars.
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { signedEmbedUrl } from '../src/embed/signing.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    size: { type: 'string' },
    quality: { type: 'string' },
    background: { type: 'string' },
    'output-format': { type: 'string' },
    'output-compression': { type: 'string' },
    moderation: { type: 'string' },
    'partial-images': { type: 'string' },
    'expires-in': { type: 'string' },
    gateway: { type: 'string', default: 'http://localhost:8787' },
  },
})

function secretFromDevVars(): string | undefined {
  if (!existsSync('.dev.vars')) return undefined
  const match = /^\s*EMBED_SIGNING_SECRET\s*=\s*"?([^"\n]+)"?\s*$/m.exec(
    readFileSync('.dev.vars', 'utf8'),
  )
  return match?.[1]?.trim()
}

const prompt = positionals.join(' ').trim()
const secret = process.env.EMBED_SIGNING_SECRET ?? secretFromDevVars()
if (!prompt || !secret) {
  console.error(
    !prompt
      ? 'Usage: npm run sign -- "a prompt" [--size 1024x1024] [--model gpt-image-1] [--expires-in 86400] [--gateway URL]'
      : 'Set EMBED_SIGNING_SECRET (environment or .dev.vars) to the same secret the gateway uses.',
  )
  process.exit(2)
}

const params = new URLSearchParams({ prompt })
for (const [flag, name] of [
  ['model', 'model'],
  ['size', 'size'],
  ['quality', 'quality'],
  ['background', 'background'],
  ['output-format', 'output_format'],
  ['output-compression', 'output_compression'],
  ['moderation', 'moderation'],
  ['partial-images', 'partial_images'],
] as const) {
  const value = values[flag]
  if (value) params.set(name, value)
}
if (values['expires-in'])
  params.set('exp', String(Math.floor(Date.now() / 1000) + Number(values['expires-in'])))

console.log(await signedEmbedUrl(values.gateway ?? 'http://localhost:8787', secret, params))
