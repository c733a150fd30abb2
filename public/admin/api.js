// The console's calls to the admin API: the admin token from sessionStorage (never a URL) as a
// Bearer header; an error answer becomes an ApiError carrying OpenAI's envelope.

const TOKEN = 'gateway-admin-token'

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (value) => sessionStorage.setItem(TOKEN, value),
  clear: () => sessionStorage.removeItem(TOKEN),
}

export class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(error?.message ?? `The gateway answered ${status}.`)
    this.status = status
    this.code = error?.code ?? null
    this.retryAfter = retryAfter
  }
}

/** Calls `path` with the admin token; resolves to the JSON answer, or throws an ApiError. */
export async function call(path, { method = 'GET', body, secret = token.get() } = {}) {
  const headers = { authorization: `Bearer ${secret}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  })
  const answer = await res.json().catch(() => null)
  if (!res.ok) throw new ApiError(res.status, answer?.error, res.headers.get('retry-after'))
  return answer
}

/** Calls `path`, or resolves to null when the gateway has no such route (a 404). */
export async function optional(path) {
  try {
    return await call(path)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

/** A URL of this gateway's query string from the set fields of `params`. */
export function withQuery(path, params) {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value))
  const text = query.toString()
  return text ? `${path}?${text}` : path
}
