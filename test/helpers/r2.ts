/** Looks into the test R2 bucket: what the gateway stored. */
import { env } from 'cloudflare:workers'

export async function storedKeys(prefix = ''): Promise<string[]> {
  const listing = await env.IMAGES.list({ prefix })
  return listing.objects.map((object) => object.key).sort()
}
