// A baseline for the load test: a worker that serves, from memory, the exact bytes the gateway
// answers a cache hit with. POST /set stores them; any other request returns them.
let body = new Uint8Array(0)
let contentType = 'application/json'

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/set') {
      body = new Uint8Array(await request.arrayBuffer())
      contentType = request.headers.get('content-type') ?? contentType
      return new Response('ok')
    }
    return new Response(body, { headers: { 'content-type': contentType } })
  },
}
