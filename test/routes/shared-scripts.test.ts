/** The modules shared with the page are served by the worker, byte for byte, as assets would be. */
import { describe, expect, it } from 'vitest'
import embedFields from '../../shared/embed-fields.js?raw'
import sizeRules from '../../shared/size-rules.js?raw'
import { callGateway } from '../helpers/gateway'

describe('shared scripts', () => {
  it('serves the size rules the validator runs, revalidated by ETag', async () => {
    const res = await callGateway('/size-rules.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(await res.text()).toBe(sizeRules)
    const etag = res.headers.get('etag') ?? ''
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/)
    const again = await callGateway('/size-rules.js', { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('serves the embed fields to pages on any origin, even with a misconfigured environment', async () => {
    const res = await callGateway('/embed-fields.js', { env: { UPSTREAM_TIMEOUT_MS: 'soon' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(await res.text()).toBe(embedFields)
  })
})
