/**
 * Where a JSON prefix stands: the path of keys and indexes (`images`, 2, `image_url`) at its end,
 * which field a value being streamed belongs to, and the first key it repeats within one object.
 * Hand-written: JSON parsers need the whole document and keep only the last of repeated keys.
 */

interface Frame {
  array: boolean
  /** An object's current key, or an array's current index. */
  at: string | number | null
  /** An object's keys so far. */
  keys: Set<string> | null
}

export interface JsonPosition {
  /** The path to the end of the text. */
  path: (string | number)[]
  /** The path of the first key given twice in one object, or null. */
  repeated: (string | number)[] | null
}

/** Where `text`, a JSON document or a prefix of one, stands at its end. */
export function jsonPositionAt(text: string): JsonPosition {
  const stack: Frame[] = []
  const pathOf = (frames: Frame[]) => frames.map((frame) => frame.at ?? '')
  let repeated: (string | number)[] | null = null
  let lastString: string | null = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    const top = stack[stack.length - 1]
    if (c === '"') {
      let end = i + 1
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      if (end >= text.length) break // a string still open: the value being streamed
      try {
        lastString = JSON.parse(text.slice(i, end + 1)) as string
      } catch {
        lastString = null
      }
      i = end
    } else if (c === '{' || c === '[') {
      const array = c === '['
      stack.push({ array, at: array ? 0 : null, keys: array ? null : new Set() })
    } else if (c === '}' || c === ']') {
      stack.pop()
    } else if (c === ':' && top && !top.array) {
      top.at = lastString
      if (lastString !== null && top.keys?.has(lastString)) repeated ??= pathOf(stack)
      if (lastString !== null) top.keys?.add(lastString)
    } else if (c === ',' && top?.array) {
      top.at = (top.at as number) + 1
    }
  }
  return { path: pathOf(stack), repeated }
}
