// The gallery of past generations and edits, kept in this browser (localStorage holds the
// requests and the image URLs; the images themselves live on the gateway). Each card offers
// download, copy actions for URL and code, and for generations the embeds and "generate again"
// (an edit's input pictures are not kept, and embeds only generate).
import {
  curlSnippet,
  editCurlSnippet,
  editSdkSnippet,
  elementSnippet,
  embedUrl,
  imgSnippet,
  sdkSnippet,
} from './snippets.js'

const STORAGE_KEY = 'gpt-image-gateway.gallery'
const LIMIT = 60

export function loadGallery() {
  try {
    const items = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]')
    return Array.isArray(items) ? items : []
  } catch {
    return []
  }
}

function saveGallery(items) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(items.slice(0, LIMIT)))
}

/** Adds a finished generation at the front; returns the new list. */
export function remember(entry) {
  const items = [entry, ...loadGallery()]
  saveGallery(items)
  return items
}

export function forget(id) {
  const items = loadGallery().filter((item) => item.id !== id)
  saveGallery(items)
  return items
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text)
    flash(button, 'Copied')
  } catch {
    window.prompt('Copy this:', text)
  }
}

function flash(button, text) {
  const original = button.textContent
  button.textContent = text
  setTimeout(() => {
    button.textContent = original
  }, 1200)
}

function button(label, onClick, title = label) {
  const element = document.createElement('button')
  element.type = 'button'
  element.textContent = label
  element.title = title
  element.addEventListener('click', () => onClick(element))
  return element
}

function card(item, index, url, actions) {
  const li = document.createElement('li')
  li.className = 'card'
  const figure = document.createElement('figure')
  const img = document.createElement('img')
  img.src = url
  img.alt = item.request.prompt
  img.loading = 'lazy'
  const edited = item.kind === 'edit'
  const caption = document.createElement('figcaption')
  caption.textContent = edited ? `Edit: ${item.request.prompt}` : item.request.prompt
  const meta = document.createElement('small')
  meta.textContent = `${item.request.model} · ${item.request.size} · ${new Date(item.created).toLocaleString()}${item.cache === 'HIT' ? ' · from cache' : ''}`
  caption.append(document.createElement('br'), meta)
  figure.append(img, caption)
  const tools = document.createElement('div')
  tools.className = 'tools'
  const download = document.createElement('a')
  download.href = url
  download.download = `${item.request.prompt.slice(0, 40).replace(/[^\w-]+/g, '-')}-${index + 1}.${url.split('.').pop()}`
  download.textContent = 'Download'
  download.className = 'button'
  const generation = [
    button(
      'Copy <img>',
      (b) => copy(imgSnippet(embedUrl(item.request), item.request.prompt), b),
      'Copy an <img> tag for a web page',
    ),
    button(
      'Copy embed',
      (b) => copy(elementSnippet(item.request), b),
      'Copy a <gpt-image> element that shows the picture forming',
    ),
  ]
  const code = edited
    ? [
        button(
          'Copy curl',
          (b) => copy(editCurlSnippet(item.request), b),
          'Copy a curl command for this edit',
        ),
        button(
          'Copy SDK',
          (b) => copy(editSdkSnippet(item.request), b),
          'Copy openai SDK code for this edit',
        ),
      ]
    : [
        button(
          'Copy curl',
          (b) => copy(curlSnippet(item.request), b),
          'Copy a curl command for this request',
        ),
        button(
          'Copy SDK',
          (b) => copy(sdkSnippet(item.request), b),
          'Copy openai SDK code for this request',
        ),
        button(
          'Generate again',
          () => actions.again(item),
          'Make a fresh picture with the same settings (skips the cache)',
        ),
      ]
  tools.append(
    download,
    button('Copy URL', (b) => copy(url, b), 'Copy the image URL'),
    ...(edited ? [] : generation),
    ...code,
    button('Remove', () => actions.remove(item), 'Remove from this gallery'),
  )
  li.append(figure, tools)
  return li
}

/** Renders every picture of every remembered generation. */
export function renderGallery(list, empty, items, actions) {
  list.replaceChildren(
    ...items.flatMap((item) => item.urls.map((url, index) => card(item, index, url, actions))),
  )
  empty.hidden = items.length > 0
}
