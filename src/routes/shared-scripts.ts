/**
 * The modules the gateway shares with the page (size rules, embed fields), served at the URLs the
 * page and third-party pages load them from, with the headers static assets would give them.
 */
import type { Hono } from 'hono'
import { SHARED_SCRIPTS } from '../../shared/served.js'
import type { AppEnv } from '../env'
import { sha256Hex } from '../stream/bytes'

type ScriptPath = keyof typeof SHARED_SCRIPTS

/** Per script: embed-fields.js is loaded cross-origin by pages that embed, like embed.js. */
const HEADERS: Record<ScriptPath, Record<string, string>> = {
  '/embed-fields.js': {
    'access-control-allow-origin': '*',
    'cache-control': 'public, max-age=300',
  },
  '/size-rules.js': { 'cache-control': 'public, max-age=0, must-revalidate' },
}

/** Each script's ETag, computed once per isolate. */
const etags = new Map<ScriptPath, Promise<string>>()

function etagOf(path: ScriptPath): Promise<string> {
  let etag = etags.get(path)
  if (!etag) {
    etag = sha256Hex(SHARED_SCRIPTS[path]).then((hash) => `"${hash.slice(0, 32)}"`)
    etags.set(path, etag)
  }
  return etag
}

/**
 * Serves the shared scripts on `app` as static files (middleware, not API routes: they are not in
 * the OpenAPI document), ahead of everything else, so they load whatever the environment holds.
 */
export function serveSharedScripts(app: Hono<AppEnv>): void {
  for (const path of Object.keys(SHARED_SCRIPTS) as ScriptPath[]) {
    app.use(path, async (c, next) => {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next()
      const etag = await etagOf(path)
      const headers = { ...HEADERS[path], etag, 'content-type': 'text/javascript; charset=utf-8' }
      if (c.req.header('if-none-match') === etag)
        return new Response(null, { status: 304, headers })
      return new Response(c.req.method === 'HEAD' ? null : SHARED_SCRIPTS[path], { headers })
    })
  }
}
