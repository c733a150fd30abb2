/**
 * Where in a JSON document a piece of text ends: the path of keys and array indexes that lead to
 * its end (`images`, 2, `image_url`). Used on the small skeleton of a streamed JSON body, to tell
 * which field a value that is being streamed belongs to before the document is complete.
 * Hand-written: JSON parsers need the whole document; this needs only the open containers.
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
