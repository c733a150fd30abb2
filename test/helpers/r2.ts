/** Looks into the test R2 bucket: what the gateway stored, and what it read. */
import { env } from 'cloudflare:workers'

export async function storedKeys(prefix = ''): Promise<string[]> {
  const listing = await env.IMAGES.list({ prefix })
  return listing.objects.map((object) => object.key).sort()
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
