// The overview: spend today, over 7 and 30 days, spend and requests per day, the cache's hit
// ratio and savings, errors by code among recent requests, and the upstreams when a pool answers.
import { call, optional, withQuery } from './api.js'
import { barChart } from './chart.js'
import { count, el, fill, usd, utcDay, when } from './dom.js'

const DAYS = 30
/** Errors are tallied over this many of the latest requests (one page of the request list). */
const RECENT = 200

export async function showOverview() {
  const today = utcDay(0)
  const from = utcDay(DAYS - 1)
  const [usage, recent, upstreams] = await Promise.all([
    call(withQuery('/v1/admin/usage', { from, to: today, group_by: 'day' })),
    call(withQuery('/v1/admin/requests', { limit: RECENT })),
    optional('/v1/admin/upstreams'),
  ])
  const days = everyDay(usage.data, from, DAYS)
  const sum = (rows, field) => rows.reduce((total, row) => total + row[field], 0)
  const last = (n) => days.slice(-n)
  fill(
    'spend',
    figure('Spend today', usd(sum(last(1), 'cost_usd'))),
    figure('Last 7 days', usd(sum(last(7), 'cost_usd'))),
    figure('Last 30 days', usd(sum(days, 'cost_usd'))),
    figure('Requests, 30 days', count(sum(days, 'requests'))),
  )
  const requests = sum(days, 'requests')
  const hits = sum(days, 'cache_hits')
  fill(
    'cache',
    figure('Cache hit ratio', requests ? `${((hits / requests) * 100).toFixed(1)} %` : '—'),
    figure('Cache hits', count(hits)),
    figure('Saved by the cache', usd(sum(days, 'saved_usd'))),
  )
  fill(
    'charts',
    el('figure', {}, el('figcaption', {}, 'Spend per day (UTC)'), chartOf(days, 'cost_usd', usd)),
    el(
      'figure',
      {},
      el('figcaption', {}, 'Requests per day (UTC)'),
      chartOf(days, 'requests', count),
    ),
  )
  showErrors(recent.data)
  showUpstreams(upstreams)
}

/** The usage rows with a zero row for every day that had none, oldest first. */
function everyDay(rows, from, days) {
  const byDay = new Map(rows.map((row) => [row.period, row]))
  const start = Date.parse(`${from}T00:00:00Z`)
  return Array.from({ length: days }, (_, i) => {
    const period = new Date(start + i * 86_400_000).toISOString().slice(0, 10)
    const zero = {
      period,
      requests: 0,
      images: 0,
      cost_usd: 0,
      cache_hits: 0,
      saved_usd: 0,
      errors: 0,
    }
    return { ...zero, ...byDay.get(period) }
  })
}

const chartOf = (days, field, format) =>
  barChart(
    days.map((day) => ({ label: day.period, value: day[field] })),
    { title: field === 'cost_usd' ? 'Spend per day' : 'Requests per day', format },
  )

function figure(label, value) {
  return el(
    'div',
    { class: 'figure' },
    el('span', { class: 'label' }, label),
    el('strong', {}, value),
  )
}

function showErrors(rows) {
  const byCode = new Map()
  for (const row of rows.filter((r) => r.status >= 400)) {
    const code = row.code ?? `HTTP ${row.status}`
    byCode.set(code, (byCode.get(code) ?? 0) + 1)
  }
  const sorted = [...byCode].sort((a, b) => b[1] - a[1])
  fill(
    'errors',
    sorted.length === 0
      ? el('p', { class: 'muted' }, `No errors in the last ${count(rows.length)} requests.`)
      : el(
          'ul',
          { class: 'tally' },
          sorted.map(([code, n]) => el('li', {}, el('code', {}, code), el('strong', {}, count(n)))),
        ),
    rows.length > 0
      ? el('p', { class: 'muted small' }, `Among the last ${count(rows.length)} requests.`)
      : null,
  )
}

/**
 * The pool's upstreams (GET /v1/admin/upstreams): each one's state, images in the last minute
 * against its capacity, queue and last error. No pool (UPSTREAMS unset) or no route: no panel.
 */
function showUpstreams(answer) {
  const panel = document.getElementById('upstreams-panel')
  panel.hidden = answer === null || answer.pooled === false
  if (panel.hidden) return
  const rows = answer.data ?? []
  fill(
    'upstreams',
    rows.length === 0
      ? el('p', { class: 'muted' }, 'No upstreams.')
      : el('ul', { class: 'upstreams' }, rows.map(upstreamItem)),
  )
}

function upstreamItem(row) {
  const pair = (text) => el('span', { class: 'pair' }, text)
  const capacity = row.capacity === null || row.capacity === undefined ? '?' : row.capacity
  return el(
    'li',
    { 'data-upstream': row.name },
    el('strong', {}, String(row.name)),
    el('span', { class: `tag ${row.state === 'healthy' ? 'hit' : 'bad'}` }, String(row.state)),
    row.kind ? pair(String(row.kind)) : null,
    row.images_last_minute === undefined
      ? null
      : pair(`${row.images_last_minute}/${capacity} images a minute`),
    row.queue_length === undefined ? null : pair(`queue ${row.queue_length}`),
    row.last_error
      ? pair(`last error ${row.last_error.category} at ${when(row.last_error.at)}`)
      : null,
  )
}
