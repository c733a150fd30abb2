/**
 * This data centre's cache (the Workers Cache API) in front of R2: repeat views of immutable
 * images and lookups of stored results cost no R2 round trip (nor a class B operation).
 */

/** Entries are keyed by path under a fixed origin, so the host a request came in on never splits them. */
const ORIGIN = 'https://edge-cache.gateway.internal'

/** The cache request for `path`, carrying the conditional and range headers of `from`. */
function edgeRequest(path: string, from?: Request): Request {
  const headers = new Headers()
  for (const name of ['range', 'if-none-match']) {
    const value = from?.headers.get(name)
    if (value) headers.set(name, value)
  }
  return new Request(`${ORIGIN}/${path}`, { headers })
}

/** The cached answer for `path`, as `from` asks for it (Range, If-None-Match), if cached here. */
export function matchEdge(path: string, from?: Request): Promise<Response | undefined> {
  return caches.default.match(edgeRequest(path, from))
}

/** Keeps a full (200) answer for `path`; its Cache-Control says for how long. */
export function putEdge(path: string, response: Response): Promise<void> {
  return caches.default.put(edgeRequest(path), response)
}

/** Forgets `path` in this data centre. */
export async function deleteEdge(path: string): Promise<void> {
  await caches.default.delete(edgeRequest(path))
}
