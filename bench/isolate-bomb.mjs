// The decompression bomb of `npm run bench:isolates` (BENCH_ONLY=bomb): a 64×64 png whose image
// data inflates to 300 MB, sent to a gateway with no upstream (the demo edits it) as the picture
// and as the mask; each isolate's peak growth while the edit is refused.
import { constants, deflateRawSync, deflateSync } from 'node:zlib'
import { measureMemory, startRig } from './isolate-harness.mjs'

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  // The gateway and the demo read no CRC: zeros stand in for it.
  return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)])
}

function ihdr(width, height, colorType) {
  const data = Buffer.alloc(13)
  data.writeUInt32BE(width, 0)
  data.writeUInt32BE(height, 4)
  data[8] = 8
  data[9] = colorType
  return chunk('IHDR', data)
}

/**
 * An RGBA png of `width`×`height` whose image data is `mib` MiB of zeros: one MiB deflated to a
 * byte boundary (a sync flush), repeated (each copy refers back only to zeros), then an empty final
 * block and the checksum. About 1 KB a MiB, made without ever holding what it inflates to.
 */
export function bombPng(width, height, mib) {
  const mebibyte = deflateRawSync(Buffer.alloc(2 ** 20), {
    level: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  })
  const adler = Buffer.alloc(4)
  adler.writeUInt32BE((((mib * 2 ** 20) % 65521) * 65536 + 1) >>> 0)
  const data = Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: mib }, () => mebibyte),
    Buffer.from([0x03, 0x00]),
    adler,
  ])
  const idat = []
  for (let at = 0; at < data.length; at += 65536)
    idat.push(chunk('IDAT', data.subarray(at, at + 65536)))
  return Buffer.concat([SIGNATURE, ihdr(width, height, 6), ...idat, chunk('IEND', Buffer.alloc(0))])
}

/** An ordinary RGB png of `width`×`height`, grey. */
function plainPng(width, height) {
  const rows = Buffer.alloc(height * (1 + 3 * width), 128)
  for (let y = 0; y < height; y++) rows[y * (1 + 3 * width)] = 0
  return Buffer.concat([
    SIGNATURE,
    ihdr(width, height, 2),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** The bomb as `field` of an edit; resolves with what the refusal said (a 400 naming it). */
async function sendBomb(base, bomb, field) {
  const form = new FormData()
  form.append('prompt', `bench bomb as the ${field} #${process.pid}-${Date.now()}`)
  const picture = field === 'image' ? bomb : plainPng(64, 64)
  form.append('image', new Blob([picture], { type: 'image/png' }), 'picture.png')
  if (field === 'mask') form.append('mask', new Blob([bomb], { type: 'image/png' }), 'mask.png')
  const res = await fetch(`${base}/images/edits`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench' },
    body: form,
  })
  const { error } = await res.json()
  if (res.status !== 400 || error?.param !== field) {
    throw new Error(`HTTP ${res.status} (${error?.param}): ${error?.message}`)
  }
  return `${(bomb.length / 1e6).toFixed(2)} MB file refused: 400 naming '${field}' (${error.code})`
}

/** Both bombs against a demo gateway of its own on `port`. */
export async function bombScenarios(port) {
  const bomb = bombPng(64, 64, 300)
  let rig
  try {
    rig = await startRig({ port, upstreamUrl: null })
    return {
      image: await measureMemory(rig, () => sendBomb(rig.base, bomb, 'image')),
      mask: await measureMemory(rig, () => sendBomb(rig.base, bomb, 'mask')),
    }
  } catch (error) {
    return { image: { failed: error.message }, mask: { failed: error.message } }
  } finally {
    await rig?.gateway.stop()
  }
}
