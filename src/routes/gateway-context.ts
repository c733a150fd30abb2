/** The gateway core's context from a Hono request: its settings, bindings, caller and timings. */
import { endTime, setMetric, startTime } from 'hono/timing'
import type { AppContext } from '../env'
import type { GatewayContext } from '../gateway/context'

export function gatewayContext(c: AppContext): GatewayContext {
  return {
    settings: c.var.settings,
    env: c.env,
    principal: c.get('principal'),
    origin: new URL(c.req.url).origin,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    timing: {
      start: (name, description) => startTime(c, name, description),
      end: (name) => endTime(c, name),
      metric: (name, ms, description) => setMetric(c, name, ms, description),
    },
  }
}
