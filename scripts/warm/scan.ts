/**
 * Finds the embed URLs a site will ask for: `<img src>` pointing at /v1/images/embed, and
 * `<gpt-image>` tags (their `src`, or the URL their attributes make), in built HTML; or one URL a
 * line in a list. A tolerant tag scan, not a parser: built HTML is regular enough, and it needs
 * nothing beyond the standard library.
 */
import { EMBED_FIELDS } from '../../shared/embed-fields.js'

export const EMBED_PATH = '/v1/images/embed'

const TAG = /<(img|gpt-image)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi
const ATTRIBUTE = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+)))?/g
const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' }

/** Text with its character references (`&amp;`, `&#38;`, `&#x26;`) read. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1))
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return ENTITIES[name.toLowerCase()] ?? whole
  })
}

function attributes(text: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of text.matchAll(ATTRIBUTE)) {
    const name = (match[1] as string).toLowerCase()
    if (!found.has(name)) found.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''))
  }
  return found
}

/** Path and query of `url` when it is an embed URL (on any host), else null. */
export function embedPath(url: string): string | null {
  try {
    const parsed = new URL(url, 'https://site.invalid')
    return parsed.pathname.endsWith(EMBED_PATH) ? `${EMBED_PATH}${parsed.search}` : null
  } catch {
    return null
  }
}

/** The embed URL a `<gpt-image>` tag's attributes make, as its element would build it. */
function fromAttributes(found: Map<string, string>): string | null {
  const params = new URLSearchParams()
  for (const name of EMBED_FIELDS) {
    const value = found.get(name)
    if (value) params.set(name, value)
  }
  return params.has('prompt') ? `${EMBED_PATH}?${params}` : null
}

/** Every embed URL (path and query) in an HTML document, in order, each once. */
export function embedUrlsInHtml(html: string): string[] {
  const urls = new Set<string>()
  for (const match of html.matchAll(TAG)) {
    const found = attributes(match[2] ?? '')
    const src = found.get('src')
    const url = src
      ? embedPath(src)
      : (match[1] as string).toLowerCase() === 'gpt-image'
        ? fromAttributes(found)
        : null
    if (url) urls.add(url)
  }
  return [...urls]
}

/** The embed URLs of a list, one a line (blank lines and `#` comments skipped); others refused. */
export function embedUrlsInList(text: string): { urls: string[]; refused: string[] } {
  const urls = new Set<string>()
  const refused: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const url = embedPath(line)
    if (url) urls.add(url)
    else refused.push(line)
  }
  return { urls: [...urls], refused }
}
