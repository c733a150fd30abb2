// Starts the gateway under `wrangler dev` (workerd) for benchmarks, pointed at a loopback fake
// upstream, with one bootstrap client key (`bench`: no rate limit, no balance) and fresh state.
import { startWranglerDev } from '../scripts/wrangler-dev.mjs'
import { findWorkerd } from './process-stats.mjs'

export const BENCH_KEY = 'bench'

/** `vars` replace the single upstream's (e.g. UPSTREAMS for a pool) when given. */
export async function startGateway(upstreamUrl, port, vars = null) {
  const upstream = vars ?? {
    UPSTREAM_BASE_URL: upstreamUrl,
    UPSTREAM_API_KEY: 'bench-operator-key',
  }
  const server = await startWranglerDev({
    port,
    readyPath: '/v1/models',
    vars: { ...upstream, GATEWAY_KEYS: BENCH_KEY },
  })
  return { ...server, pids: findWorkerd(server.child.pid) }
}

export function stopGateway(gateway) {
  return gateway.stop()
}
