// <gpt-image>: a generated picture on any page, no server of your own and no secret in the page.
//   <script type="module" src="https://YOUR-GATEWAY/embed.js"></script>
//   <gpt-image prompt="a red fox in the snow" size="1536x1024" partial_images="2"></gpt-image>
// with a publishable key bound to your site's origin: <gpt-image prompt="..." key="pk-gw-..."></gpt-image>
// or, for a gateway that requires signed URLs, the URL from `npm run sign`:
//   <gpt-image src="https://YOUR-GATEWAY/v1/images/embed?prompt=...&sig=..."></gpt-image>
// It shows the partial images the URL asks for (partial_images, 1 to 3, paid for like the rest of
// the picture, and signed with it) while the picture forms, then the final image; the prompt is
// its alt text. Without JavaScript, a plain <img src="...embed URL..."> shows the final image.
// width="400" shows it 400 CSS pixels wide, loading a variant from the gateway's width ladder (with
// a srcset for screens of 1x to 2x density) instead of the full picture; format="webp" (or avif,
// jpeg, png) re-encodes it. Both need the gateway's Images binding and are not signed.

import { EMBED_FIELDS, VARIANT_FIELDS, VARIANT_WIDTHS } from './embed-fields.js'

const PARAMS = [...EMBED_FIELDS, 'exp', 'sig', 'key']
const GATEWAY = new URL('.', import.meta.url).origin

const STYLE = `
  :host { display: inline-block; position: relative; max-width: 100%; }
  img { display: block; width: 100%; height: auto; border-radius: inherit; transition: filter .4s ease; }
  img.forming { filter: blur(6px) saturate(.9); }
  .status { position: absolute; inset: auto 0 0 0; padding: .4em .6em; font: 13px/1.3 system-ui, sans-serif;
    color: #fff; background: linear-gradient(transparent, rgba(0,0,0,.55)); }
  .status:empty { display: none; }
`

/**
 * The look as a constructed sheet where the browser has them: a host page's style-src (which
 * blocks an inline <style>) does not apply to it, so the element looks right under a strict CSP.
 */
const SHEET = 'adoptedStyleSheets' in ShadowRoot.prototype ? new CSSStyleSheet() : null
SHEET?.replaceSync(STYLE)

class GptImage extends HTMLElement {
  static observedAttributes = ['src', ...PARAMS, ...VARIANT_FIELDS]

  constructor() {
    super()
    const root = this.attachShadow({ mode: 'open' })
    if (SHEET) root.adoptedStyleSheets = [SHEET]
    const style = SHEET ? '' : `<style>${STYLE}</style>`
    root.innerHTML = `${style}<img part="image" alt=""><div class="status" part="status" role="status"></div>`
    this.img = root.querySelector('img')
    this.status = root.querySelector('.status')
    this.source = null
  }

  connectedCallback() {
    this.load()
  }

  disconnectedCallback() {
    this.source?.close()
  }

  attributeChangedCallback() {
    if (this.isConnected) this.load()
  }

  /** The embed URL: the `src` attribute, or one built from this element's attributes. */
  embedUrl() {
    if (this.getAttribute('src')) return new URL(this.getAttribute('src'), document.baseURI)
    const url = new URL('/v1/images/embed', this.getAttribute('gateway') || GATEWAY)
    for (const name of PARAMS) {
      const value = this.getAttribute(name)
      if (value !== null) url.searchParams.set(name, value)
    }
    return url
  }

  load() {
    this.source?.close()
    const url = this.embedUrl()
    const prompt = url.searchParams.get('prompt') ?? ''
    this.img.alt = prompt
    this.setAttribute('aria-busy', 'true')
    this.say('Generating…')
    if (typeof EventSource === 'undefined') return this.finish(url.href)
    // The view fields ride along, so a gateway that cannot make variants says so before generating.
    const streamUrl = new URL(this.variantUrl(url, this.widths()?.[0]))
    streamUrl.searchParams.set('stream', '1')
    const source = new EventSource(streamUrl)
    this.source = source
    const format = url.searchParams.get('output_format') || 'png'
    source.addEventListener('image_generation.partial_image', (event) => {
      const data = JSON.parse(event.data)
      this.img.classList.add('forming')
      this.img.removeAttribute('srcset') // a srcset would win over the partial image
      this.img.src = `data:image/${data.output_format || format};base64,${data.b64_json}`
      this.say('Forming…')
    })
    source.addEventListener('image_generation.completed', (event) => {
      source.close()
      this.finish(JSON.parse(event.data).url)
    })
    source.addEventListener('error', (event) => {
      source.close()
      // An error frame carries the gateway's explanation; a dropped connection does not.
      const message = event.data ? JSON.parse(event.data).error?.message : null
      if (message) this.fail(message)
      else this.finish(url.href) // fall back to the plain redirecting URL
    })
  }

  /** The ladder widths that cover the `width` attribute on screens of 1x to 2x density. */
  widths() {
    const width = Number(this.getAttribute('width'))
    if (!(width > 0)) return null
    const rung = (wanted) => VARIANT_WIDTHS.find((w) => w >= wanted) ?? VARIANT_WIDTHS.at(-1)
    return [...new Set([1, 1.5, 2].map((density) => rung(width * density)))]
  }

  /** `url` (an image or embed URL) asking for `width` (if any) in the `format` attribute (if any). */
  variantUrl(url, width) {
    const variant = new URL(url)
    if (width) variant.searchParams.set('width', String(width))
    const format = this.getAttribute('format')
    if (format) variant.searchParams.set('format', format)
    return variant.href
  }

  /** Shows the picture at `url`: the variants for the `width` attribute, or the picture itself. */
  finish(url) {
    const widths = this.widths()
    if (widths) {
      this.img.sizes = `${this.getAttribute('width')}px`
      this.img.srcset = widths.map((w) => `${this.variantUrl(url, w)} ${w}w`).join(', ')
    } else this.img.removeAttribute('srcset')
    this.show(this.variantUrl(url, widths?.[0]))
  }

  show(src) {
    this.img.onload = () => {
      this.img.classList.remove('forming')
      this.removeAttribute('aria-busy')
      this.say('')
      this.dispatchEvent(new CustomEvent('load'))
    }
    this.img.onerror = () => this.fail('The image could not be loaded.')
    this.img.src = src
  }

  fail(message) {
    this.removeAttribute('aria-busy')
    this.say(message)
    this.dispatchEvent(new CustomEvent('error', { detail: message }))
  }

  say(text) {
    this.status.textContent = text
  }
}

if (!customElements.get('gpt-image')) customElements.define('gpt-image', GptImage)
