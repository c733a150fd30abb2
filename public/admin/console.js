// The operator's console: sign in with the admin token (kept in sessionStorage, never a URL),
// then the overview, keys and activity, each loaded when its tab is opened.
import { setUpActivity, showActivity } from './activity.js'
import { ApiError, call, token } from './api.js'
import { fill } from './dom.js'
import { setUpKeyForm, showKeys } from './keys.js'
import { showOverview } from './overview.js'

const VIEWS = { overview: showOverview, keys: showKeys, activity: showActivity }

async function signIn(secret) {
  await call('/v1/admin/keys', { secret })
  token.set(secret)
}

function signedIn(yes) {
  document.getElementById('sign-in').hidden = yes
  document.getElementById('console').hidden = !yes
  document.getElementById('sign-out').hidden = !yes
}

async function open(view) {
  for (const tab of document.querySelectorAll('[data-view]'))
    tab.setAttribute('aria-current', String(tab.dataset.view === view))
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== view
  const problem = document.getElementById('problem')
  problem.hidden = true
  const section = document.getElementById(view)
  section.dataset.loaded = 'false'
  try {
    if (view === 'activity') await showKeys()
    await VIEWS[view]()
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      return signOut('Signed out: the admin token was refused.')
    fill(problem, error.message)
    problem.hidden = false
  }
  section.dataset.loaded = 'true'
}

function signOut(reason = '') {
  token.clear()
  signedIn(false)
  const note = document.getElementById('sign-in-problem')
  note.textContent = reason
  note.hidden = !reason
}

document.getElementById('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = document.getElementById('admin-token')
  const note = document.getElementById('sign-in-problem')
  note.hidden = true
  try {
    await signIn(input.value.trim())
    input.value = ''
    signedIn(true)
    await open('overview')
  } catch (error) {
    note.textContent =
      error instanceof ApiError && error.status === 403
        ? 'The admin API is off: set ADMIN_TOKEN (npm start makes one locally).'
        : error.message
    note.hidden = false
  }
})

document.getElementById('sign-out').addEventListener('click', () => signOut())
for (const tab of document.querySelectorAll('[data-view]'))
  tab.addEventListener('click', () => open(tab.dataset.view))
document.getElementById('refresh').addEventListener('click', () => {
  const current = document.querySelector('[data-view][aria-current="true"]')
  open(current?.dataset.view ?? 'overview')
})

setUpActivity()
setUpKeyForm().catch(() => {})
signedIn(Boolean(token.get()))
if (token.get()) await open('overview')
document.body.dataset.ready = 'true'
