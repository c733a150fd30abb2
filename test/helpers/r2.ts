/** Looks into the test R2 bucket: what the gateway stored, and what it read. */
import { env } from 'cloudflare:workers'
import type { Manifest } from '../../src/cache/store'

export async function storedKeys(prefix = ''): Promise<string[]> {
  const listing = await env.IMAGES.list({ prefix })
  return listing.objects.map((object) => object.key).sort()
}

const manifestAt = async (key: string) => (await (await env.IMAGES.get(key))?.json()) as Manifest

/** Every stored result's manifest. */
export async function manifests(): Promise<Manifest[]> {
  return Promise.all((await storedKeys('manifests/')).map(manifestAt))
}

/** The manifests stored since the last call with this `seen` set (which then holds them too). */
export async function manifestsSince(seen: Set<string>): Promise<Manifest[]> {
  const keys = (await storedKeys('manifests/')).filter((key) => !seen.has(key))
  for (const key of keys) seen.add(key)
  return Promise.all(keys.map(manifestAt))
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
