// The floor for streaming lag on this runtime: a worker that passes the upstream's answer through
// untouched (no validation, no owner, no storage), so the bench can tell the gateway's own added
// lag from what any worker in the same local workerd adds.
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname === '/v1/ready') return new Response('ok')
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL}${url.pathname.replace(/^\/v1/, '')}`, {
      method: request.method,
      headers: { 'content-type': 'application/json' },
      body: request.body,
    })
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers })
  },
}
