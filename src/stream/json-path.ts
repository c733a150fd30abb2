/**
 * The path of keys and indexes (`images`, 2, `image_url`) at the end of a JSON prefix: which field
 * a value being streamed belongs to, before the document ends. Hand-written: JSON parsers need
 * the whole document; this needs only the open containers.
 */

interface Frame {
  array: boolean
  /** An object's current key, or an array's current index. */
  at: string | number | null
}

/** The path to the end of `text`, a prefix of a JSON document. */
export function jsonPathAt(text: string): (string | number)[] {
  const stack: Frame[] = []
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
      stack.push({ array: c === '[', at: c === '[' ? 0 : null })
    } else if (c === '}' || c === ']') {
      stack.pop()
    } else if (c === ':' && top && !top.array) {
      top.at = lastString
    } else if (c === ',' && top?.array) {
      top.at = (top.at as number) + 1
    }
  }
  return stack.map((frame) => frame.at ?? '')
}
