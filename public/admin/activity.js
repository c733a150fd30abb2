// Activity: the latest requests with their pictures, prompt, model, size, cost, cache, status and
// duration; filtered by key, model, cache and status; older pages on demand; a picture opened
// full size; a request whose cost went partly unbilled highlighted.
import { call, withQuery } from './api.js'
import { duration, el, fill, usd, when } from './dom.js'
import { knownKeys } from './keys.js'

const PAGE = 50
let next = null

export async function showActivity() {
  fillKeyFilter()
  await load(false)
}

/** Sets up the filters (changes reload the list) and the "older" button. */
export function setUpActivity() {
  const filters = document.getElementById('filters')
  filters.addEventListener('submit', (event) => {
    event.preventDefault()
    load(false)
  })
  filters.addEventListener('change', () => load(false))
  document.getElementById('older').addEventListener('click', () => load(true))
  document
    .getElementById('picture-close')
    .addEventListener('click', () => document.getElementById('picture').close())
}

function fillKeyFilter() {
  const select = document.getElementById('filter-key')
  const chosen = select.value
  const options = [
    ['', 'Any key'],
    ['anonymous', 'anonymous'],
    ['embed', 'embed'],
    ...knownKeys.map((key) => [key.id, `${key.name} (${key.id})`]),
  ]
  fill(
    select,
    options.map(([value, label]) => el('option', { value }, label)),
  )
  select.value = options.some(([value]) => value === chosen) ? chosen : ''
}

async function load(older) {
  const filters = document.getElementById('filters')
  const field = (name) => filters.elements.namedItem(name).value.trim()
  const query = {
    limit: PAGE,
    key: field('key'),
    model: field('model'),
    cache: field('cache'),
    status: field('status'),
    before: older ? next : undefined,
  }
  const list = document.getElementById('requests')
  const problem = document.getElementById('activity-problem')
  problem.hidden = true
  try {
    const page = await call(withQuery('/v1/admin/requests', query))
    next = page.next
    const rows = page.data.map(requestRow)
    if (older) list.append(...rows)
    else fill(list, rows.length ? rows : el('li', { class: 'muted empty' }, 'No requests match.'))
    document.getElementById('older').hidden = next === null
  } catch (error) {
    fill(problem, error.message)
    problem.hidden = false
  }
}

/** One request: its pictures, then what it was and what it cost. */
function requestRow(row) {
  const failed = row.status >= 400
  const anomaly = row.unbilled_usd > 0
  return el(
    'li',
    { class: `request${failed ? ' failed' : ''}${anomaly ? ' anomaly' : ''}`, 'data-id': row.id },
    el(
      'div',
      { class: 'pictures' },
      row.images.map((image) => thumbnail(image.url, row.prompt)),
    ),
    el(
      'div',
      { class: 'details' },
      el('p', { class: 'prompt' }, row.prompt ?? '(no prompt)'),
      el(
        'p',
        { class: 'facts' },
        fact('model', row.model ?? '—'),
        fact('size', row.size ?? '—'),
        row.quality ? fact('quality', row.quality) : null,
        row.n ? fact('n', `n=${row.n}`) : null,
        el(
          'span',
          { class: `tag cache ${(row.cache ?? 'none').toLowerCase()}`, 'data-field': 'cache' },
          row.cache ?? 'refused',
        ),
        el(
          'span',
          { class: `tag status${failed ? ' bad' : ''}`, 'data-field': 'status' },
          String(row.status),
        ),
        row.code ? el('code', { 'data-field': 'code' }, row.code) : null,
      ),
      el(
        'p',
        { class: 'facts money' },
        fact('cost', `cost ${usd(row.cost_usd)}`),
        row.saved_usd > 0 ? fact('saved', `saved ${usd(row.saved_usd)}`) : null,
        anomaly ? fact('unbilled', `unbilled ${usd(row.unbilled_usd)}`, 'anomaly-note') : null,
        row.duration_ms === null ? null : fact('duration', `took ${duration(row.duration_ms)}`),
        row.upstream ? fact('upstream', row.upstream) : null,
      ),
      el(
        'p',
        { class: 'muted small' },
        `${when(row.created_at)} · ${row.kind} · ${keyName(row.key_id)} · `,
        el('code', {}, row.id),
      ),
    ),
  )
}

/** A managed key by its name and id; `anonymous`, `embed` and `operator:N` as they are. */
function keyName(id) {
  const key = knownKeys.find((known) => known.id === id)
  return key ? `key ${key.name} (${id})` : id
}

const fact = (name, text, extra = '') =>
  el('span', { class: `fact ${extra}`.trim(), 'data-field': name }, text)

/** Only pictures this gateway serves are shown. */
function ours(url) {
  try {
    const parsed = new URL(url, location.origin)
    return parsed.origin === location.origin && parsed.pathname.startsWith('/v1/images/')
      ? parsed
      : null
  } catch {
    return null
  }
}

/**
 * A 256-wide WebP variant when the gateway has the Images binding; without it the gateway refuses
 * the variant, and the picture itself is shown instead.
 */
function thumbnail(url, prompt) {
  const full = ours(url)
  if (!full) return null
  const small = new URL(full)
  small.search = '?width=256&format=webp'
  const img = el('img', {
    src: small.href,
    alt: prompt ?? '',
    loading: 'lazy',
    width: 128,
    height: 128,
  })
  img.addEventListener(
    'error',
    () => {
      if (img.src !== full.href) img.src = full.href
    },
    { once: true },
  )
  const open = el('button', { type: 'button', class: 'thumb', title: 'Open the picture' }, img)
  open.addEventListener('click', () => openPicture(full.href, prompt))
  return open
}

function openPicture(url, prompt) {
  const dialog = document.getElementById('picture')
  fill(
    'picture-body',
    el('img', { src: url, alt: prompt ?? '' }),
    el('p', { class: 'prompt' }, prompt ?? ''),
    el('a', { href: url, target: '_blank', rel: 'noopener' }, 'Open the file'),
  )
  dialog.showModal()
}
