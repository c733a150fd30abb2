// What the browser tests stand on: the gateway under `wrangler dev` serving the demo generator,
// and Debian's chromium driven by playwright-core.
import { chromium } from 'playwright-core'
import { startWranglerDev } from '../../scripts/wrangler-dev.mjs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The gateway on `port`; empty upstream settings force the demo even over a .dev.vars. */
export function startDemoGateway(port) {
  return startWranglerDev({
    port,
    readyPath: '/v1/models',
    vars: { UPSTREAM_API_KEY: '', UPSTREAM_BASE_URL: '', GATEWAY_KEYS: '' },
  })
}

/** A headless chromium that reaches nothing on its own (no updates, sync or first-run calls). */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  })
}
