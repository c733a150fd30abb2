// Building the console's DOM without innerHTML: every string becomes a text node or an attribute
// value, so prompts, key names and error messages (hostile or not) are shown, never run.

/**
 * An element: `el('td', { class: 'cost' }, 'text', child)`. Attributes named on* and `style` are
 * refused (the policy forbids inline handlers and styles anyway); `null`/`false` children are left
 * out, and `true` attributes are set empty.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  setAttributes(element, attributes)
  element.append(...children.flat().filter((child) => child !== null && child !== false))
  return element
}

/** An SVG element, with the same rules. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag)
  setAttributes(element, attributes)
  element.append(...children.flat().filter((child) => child !== null && child !== false))
  return element
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on|^style$/i.test(name)) throw new Error(`refused attribute ${name}`)
    if (value === null || value === undefined || value === false) continue
    element.setAttribute(name, value === true ? '' : String(value))
  }
}

/** Replaces the children of the element with id `id`; returns it. */
export function fill(id, ...children) {
  const target = typeof id === 'string' ? document.getElementById(id) : id
  target.replaceChildren(...children.flat().filter((child) => child !== null && child !== false))
  return target
}

const dollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
})

/** US dollars, to a hundredth of a cent (a picture can cost less than a cent). */
export const usd = (amount) =>
  amount === null || amount === undefined ? '—' : dollars.format(amount)

/** A whole number with separators. */
export const count = (n) => (n ?? 0).toLocaleString('en-US')

/** A duration in milliseconds as `850 ms` or `12.4 s`. */
export const duration = (ms) =>
  ms === null || ms === undefined ? '—' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`

/** A time as the operator's local date and time, to the second. */
export const when = (iso) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

/** A UTC day `days` before today, as YYYY-MM-DD. */
export function utcDay(daysAgo = 0, now = Date.now()) {
  return new Date(now - daysAgo * 86_400_000).toISOString().slice(0, 10)
}
