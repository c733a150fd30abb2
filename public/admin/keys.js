// Keys: the managed keys with balance, spend and rate; a new key (every permission the API
// takes) shown once with a copy button; credit; revoke (asked twice).
import { ApiError, call } from './api.js'
import { count, el, fill, usd, when } from './dom.js'

/** The keys last listed, for the activity filter. */
export let knownKeys = []

export async function showKeys() {
  const { data } = await call('/v1/admin/keys')
  knownKeys = data
  fill(
    'key-list',
    data.length === 0
      ? el('p', { class: 'muted' }, 'No managed keys yet.')
      : data.map((key) => keyCard(key)),
  )
}

function keyCard(key) {
  const anomaly = key.unbilled_usd > 0
  return el(
    'article',
    {
      class: `card key-card${key.revoked ? ' revoked' : ''}${anomaly ? ' anomaly' : ''}`,
      'data-key': key.id,
    },
    el(
      'header',
      {},
      el('strong', { class: 'name' }, key.name),
      el('span', { class: `tag ${key.kind}` }, key.kind),
      key.revoked ? el('span', { class: 'tag bad' }, 'revoked') : null,
      el('code', { class: 'id' }, key.id),
    ),
    el(
      'dl',
      { class: 'stats' },
      stat('Balance', key.balance_usd === null ? 'unlimited' : usd(key.balance_usd), 'balance'),
      stat('Spent', usd(key.spent_usd), 'spent'),
      stat('Requests', count(key.requests)),
      stat(
        'Rate',
        key.rate_limit_per_minute === null ? 'default' : `${key.rate_limit_per_minute}/min`,
      ),
      anomaly ? stat('Unbilled', `${usd(key.unbilled_usd)} (${key.anomalies})`, 'unbilled') : null,
    ),
    el('p', { class: 'muted small' }, describe(key)),
    key.revoked ? null : keyActions(key),
  )
}

const stat = (label, value, name) =>
  el('div', name ? { 'data-stat': name } : {}, el('dt', {}, label), el('dd', {}, value))

/** The key's permissions, origins and scope in a line. */
function describe(key) {
  const p = key.permissions
  const parts = [`created ${when(key.created_at)}`, `cache ${key.cache_scope}`]
  if (key.origins.length) parts.push(`origins ${key.origins.join(', ')}`)
  if (p.models) parts.push(`models ${p.models.join(', ')}`)
  if (p.max_n) parts.push(`n ≤ ${p.max_n}`)
  if (p.max_size) parts.push(`size ≤ ${p.max_size}`)
  if (p.max_quality) parts.push(`quality ≤ ${p.max_quality}`)
  if (p.regenerate) parts.push('may regenerate')
  if (key.client_rate_limit_per_minute)
    parts.push(`${key.client_rate_limit_per_minute}/min per client`)
  return parts.join(' · ')
}

function keyActions(key) {
  const amount = el('input', {
    type: 'number',
    min: '0.01',
    step: '0.01',
    placeholder: 'USD',
    'aria-label': `Amount to credit ${key.name}`,
    class: 'amount',
  })
  const credit = el('button', { type: 'submit' }, 'Credit')
  const form = el('form', { class: 'credit' }, amount, credit)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    act(form, () =>
      call(`/v1/admin/keys/${encodeURIComponent(key.id)}/credit`, {
        method: 'POST',
        body: { amount_usd: Number(amount.value) },
      }),
    )
  })
  const revoke = el('button', { type: 'button', class: 'danger revoke' }, 'Revoke')
  revoke.addEventListener('click', () => {
    if (revoke.dataset.armed !== 'true') {
      revoke.dataset.armed = 'true'
      revoke.textContent = 'Revoke: sure?'
      setTimeout(() => {
        revoke.dataset.armed = 'false'
        revoke.textContent = 'Revoke'
      }, 5000)
      return
    }
    act(form, () => call(`/v1/admin/keys/${encodeURIComponent(key.id)}/revoke`, { method: 'POST' }))
  })
  return el('div', { class: 'key-actions' }, form, revoke)
}

/** Runs an action on a key, then lists the keys again; a refusal is shown beside the form. */
async function act(form, action) {
  form.querySelector('.problem')?.remove()
  try {
    await action()
    await showKeys()
  } catch (error) {
    form.append(el('p', { class: 'problem', role: 'alert' }, message(error)))
  }
}

const message = (error) =>
  error instanceof ApiError ? error.message : 'The gateway could not be reached.'

/** The new-key form: its models from /v1/models; fields shown for the kind chosen. */
export async function setUpKeyForm() {
  const form = document.getElementById('new-key-form')
  const kind = form.elements.namedItem('kind')
  const onKind = () => {
    for (const field of form.querySelectorAll('[data-kind]'))
      field.hidden = field.dataset.kind !== kind.value
  }
  kind.addEventListener('change', onKind)
  onKind()
  const { data } = await fetch('/v1/models').then((res) => res.json())
  fill(
    'new-key-models',
    data.map((model) =>
      el(
        'label',
        { class: 'check' },
        el('input', { type: 'checkbox', name: 'models', value: model.id }),
        ` ${model.id}`,
      ),
    ),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    fill('new-key-problem')
    document.getElementById('new-key-problem').hidden = true
    try {
      const created = await call('/v1/admin/keys', { method: 'POST', body: newKeyBody(form) })
      showOnce(created)
      form.reset()
      onKind()
      await showKeys()
    } catch (error) {
      const problem = fill('new-key-problem', message(error))
      problem.hidden = false
    }
  })
}

/** The body of POST /v1/admin/keys from the form: only the fields set. */
function newKeyBody(form) {
  const value = (name) => form.elements.namedItem(name).value.trim()
  const number = (name) => (value(name) === '' ? undefined : Number(value(name)))
  const secret = value('kind') === 'secret'
  const models = [...form.querySelectorAll('input[name="models"]:checked')].map((box) => box.value)
  const permissions = {
    models: models.length ? models : undefined,
    max_n: number('max_n'),
    max_size: value('max_size') || undefined,
    max_quality: value('max_quality') || undefined,
    regenerate: secret && form.elements.namedItem('regenerate').checked ? true : undefined,
  }
  const origins = value('origins')
    .split(/[\s,]+/)
    .filter(Boolean)
  return {
    name: value('name'),
    kind: value('kind'),
    origins: secret || origins.length === 0 ? undefined : origins,
    balance_usd: number('balance_usd'),
    rate_limit_per_minute: number('rate_limit_per_minute'),
    client_rate_limit_per_minute: secret ? undefined : number('client_rate_limit_per_minute'),
    cache_scope: value('cache_scope') || undefined,
    permissions: Object.values(permissions).some((v) => v !== undefined) ? permissions : undefined,
  }
}

/** The new key's secret, shown this once: a copy button, and gone when dismissed. */
function showOnce(created) {
  const panel = document.getElementById('new-key')
  const secret = el('code', { id: 'new-key-secret' }, created.key)
  const copy = el('button', { type: 'button', id: 'copy-key' }, 'Copy')
  copy.addEventListener('click', async () => {
    await navigator.clipboard.writeText(created.key).then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Select and copy it'),
    )
  })
  const done = el('button', { type: 'button', id: 'dismiss-key' }, 'I have saved it')
  done.addEventListener('click', () => {
    panel.replaceChildren()
    panel.hidden = true
  })
  fill(
    panel,
    el(
      'p',
      {},
      el('strong', {}, `Key “${created.name}” created. `),
      'Copy it now: it is shown this once and never again.',
    ),
    el('div', { class: 'secret' }, secret, copy),
    done,
  )
  panel.hidden = false
}
