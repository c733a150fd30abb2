/** The gateway core's context from a Hono request: its settings, bindings, caller and timings. */
import { endTime, setMetric, startTime } from 'hono/timing'
import type { AppContext } from '../env'
import type { GatewayContext } from '../gateway/context'
import type { FileContext } from '../gateway/image-file'

/** What serving a public file needs: the bindings, background work and timings. */
export function fileContext(c: AppContext): FileContext {
  return {
    env: c.env,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    timing: {
      start: (name, description) => startTime(c, name, description),
      end: (name) => endTime(c, name),
      metric: (name, ms, description) => setMetric(c, name, ms, description),
    },
  }
}

export function gatewayContext(c: AppContext): GatewayContext {
  return {
    ...fileContext(c),
    settings: c.var.settings,
    principal: c.get('principal'),
    origin: new URL(c.req.url).origin,
    log: c.var.requestLog,
  }
}
