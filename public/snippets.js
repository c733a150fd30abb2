// Code a person can copy for exactly the request behind a picture: curl, the openai SDK, and the
// embed forms (<img> and <gpt-image>); for an edit, curl and the SDK with placeholder files.
import { EMBED_FIELDS, PICTURE_FIELDS } from './embed-fields.js'

const origin = () => location.origin

function quote(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`
}

export function curlSnippet(request) {
  const body = JSON.stringify(request)
  return [
    `curl ${origin()}/v1/images/generations \\`,
    "  -H 'Content-Type: application/json' \\",
    '  -H "Authorization: Bearer $GATEWAY_KEY" \\',
    `  -d ${quote(body)}`,
  ].join('\n')
}

export function sdkSnippet(request) {
  const { stream, partial_images, ...rest } = request
  const args = JSON.stringify(rest, null, 2).replace(/"([a-z_]+)":/g, '$1:')
  return [
    "import OpenAI from 'openai'",
    '',
    `const client = new OpenAI({ baseURL: '${origin()}/v1', apiKey: process.env.GATEWAY_KEY })`,
    `const result = await client.images.generate(${args})`,
    '// result.data[0].b64_json holds the image (base64)',
  ].join('\n')
}

export function editCurlSnippet(request) {
  const { stream, partial_images, ...rest } = request
  const fields = Object.entries(rest).map(([name, value]) => `  -F ${quote(`${name}=${value}`)} \\`)
  return [
    `curl ${origin()}/v1/images/edits \\`,
    '  -H "Authorization: Bearer $GATEWAY_KEY" \\',
    "  -F 'image[]=@picture.png' \\",
    ...fields,
    "  -F 'response_format=url'",
  ].join('\n')
}

export function editSdkSnippet(request) {
  const { stream, partial_images, ...rest } = request
  const args = JSON.stringify(rest, null, 2)
    .replace(/"([a-z_]+)":/g, '$1:')
    .replace(
      /^\{/,
      "{\n  image: [await toFile(fs.createReadStream('picture.png'), 'picture.png')],",
    )
  return [
    "import fs from 'node:fs'",
    "import OpenAI, { toFile } from 'openai'",
    '',
    `const client = new OpenAI({ baseURL: '${origin()}/v1', apiKey: process.env.GATEWAY_KEY })`,
    `const result = await client.images.edit(${args})`,
    '// result.data[0].b64_json holds the edited image (base64)',
  ].join('\n')
}

/**
 * The embed URL for an <img>: works as is on the demo; a real upstream needs a signature or a
 * publishable key. Only the picture's fields: nobody sees partial images in an <img>.
 */
export function embedUrl(request) {
  const url = new URL('/v1/images/embed', origin())
  for (const name of PICTURE_FIELDS)
    if (request[name] !== undefined) url.searchParams.set(name, String(request[name]))
  return url.href
}

const escapeHtml = (text) =>
  String(text).replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;')

export function imgSnippet(url, prompt) {
  return `<img src="${escapeHtml(url)}" alt="${escapeHtml(prompt)}">`
}

/** A <gpt-image> for the request, with the partial images it streamed (if any) to watch forming. */
export function elementSnippet(request) {
  const attrs = EMBED_FIELDS.filter((name) => request[name] !== undefined).map(
    (name) => `${name}="${escapeHtml(request[name])}"`,
  )
  return `<script type="module" src="${origin()}/embed.js"></script>\n<gpt-image ${attrs.join(' ')}></gpt-image>`
}
