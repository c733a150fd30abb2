/** Looks into the test R2 bucket: what the gateway stored, and what it read. */
import { env } from 'cloudflare:workers'
import type { Manifest } from '../../src/cache/store'

export async function storedKeys(prefix = ''): Promise<string[]> {
  const listing = await env.IMAGES.list({ prefix })
  return listing.objects.map((object) => object.key).sort()
}

/** Every stored result's manifest. */
export async function manifests(): Promise<Manifest[]> {
  const keys = await storedKeys('manifests/')
  return Promise.all(
    keys.map(async (key) => (await (await env.IMAGES.get(key))?.json()) as Manifest),
  )
}

/** The R2 binding, counting the operations made through it (pass it as the env's IMAGES). */
export function countingBucket() {
  const counts = { operations: 0 }
  const bucket = new Proxy(env.IMAGES, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        counts.operations++
        return value.apply(target, args)
      }
    },
  })
  return { bucket, counts }
}
