// The page: make a picture or edit given ones, watch it form, keep it. Wires the form (form.js),
// the edit inputs (edit.js), the gateway (api.js) and the gallery (gallery.js). Plain ES modules,
// no build step.
import { edit, GatewayError, generate, loadCapabilities } from './api.js'
import { EditInputs } from './edit.js'
import { ImageForm } from './form.js'
import { forget, loadGallery, remember, renderGallery } from './gallery.js'

const $ = (id) => document.getElementById(id)
const KEY_STORAGE = 'gpt-image-gateway.key'

/** What to do about an error, in words, keyed by the gateway's error codes. */
const ADVICE = {
  missing_api_key: 'Open "API key" at the top and paste the key the operator gave you.',
  invalid_api_key: 'Check the key under "API key" at the top; it may have been revoked.',
  insufficient_balance:
    'Ask the operator to add credit, or make fewer, smaller or lower-quality images.',
  rate_limit_exceeded: 'Wait a moment, then try again.',
  moderation_blocked: 'Rephrase the prompt and try again.',
  content_policy_violation: 'Rephrase the prompt and try again.',
  upstream_unavailable: 'The image service had a hiccup. Try again in a moment.',
  daily_budget_exhausted: 'Use an API key, or come back tomorrow (UTC).',
}

let form
let inputs
let running = null

const editing = () => document.querySelector('input[name="mode"]:checked')?.value === 'edit'

/** Shows what the mode needs: the pictures and mask for edits, the words for each. */
function setMode() {
  const on = editing()
  $('edit-inputs').hidden = !on
  $('prompt-label').textContent = on ? 'Describe the edit' : 'Describe the picture'
  $('compose-title').textContent = on ? 'Edit pictures' : 'Make a picture'
  $('submit').textContent = on ? 'Edit' : 'Generate'
  form.setMode(on)
}

function setPhase(phase, status) {
  $('stage').dataset.phase = phase
  $('stage').setAttribute('aria-busy', String(phase === 'waiting' || phase === 'partial'))
  $('status').textContent = status
  $('progress').hidden = !(phase === 'waiting' || phase === 'partial')
  $('submit').disabled = phase === 'waiting' || phase === 'partial'
  $('cancel').hidden = $('submit').disabled === false
}

function showError(error) {
  const box = $('error')
  const advice = ADVICE[error.code] ?? (error.param ? `Change '${error.param}' and try again.` : '')
  box.replaceChildren()
  const message = document.createElement('strong')
  message.textContent = error.message
  box.append(message)
  if (advice) box.append(document.createElement('br'), advice)
  box.hidden = false
  form.markInvalid(error.param)
}

function preview(index) {
  const previews = $('previews')
  let img = previews.children[index]
  if (!img) {
    img = document.createElement('img')
    img.alt = ''
    previews.append(img)
  }
  return img
}

async function run(request, fresh = false) {
  if (form.checkSize()) return
  const kind = editing() ? 'edit' : 'generation'
  if (kind === 'edit' && inputs.files().length === 0) {
    showError({ message: 'Pick or drop the pictures to edit first.', param: 'edit-images' })
    return
  }
  if (!request.prompt) {
    showError({
      message: `Describe the ${kind === 'edit' ? 'edit' : 'picture'} first.`,
      param: 'prompt',
    })
    return
  }
  running?.abort()
  const controller = new AbortController()
  running = controller
  $('error').hidden = true
  $('previews').replaceChildren()
  setPhase('waiting', request.stream ? 'Starting…' : 'Generating… this can take a minute.')
  try {
    const options = {
      key: localStorage.getItem(KEY_STORAGE) ?? '',
      fresh,
      signal: controller.signal,
      onPartial(b64, format, index) {
        const img = preview(0)
        img.src = `data:image/${format ?? 'png'};base64,${b64}`
        img.className = 'partial'
        img.alt = `Preview ${index + 1} of "${request.prompt}"`
        setPhase('partial', `Forming… preview ${index + 1} of ${request.partial_images}`)
      },
    }
    const result =
      kind === 'edit'
        ? await edit(request, inputs.files(), await inputs.mask(), options)
        : await generate(request, options)
    $('previews').replaceChildren(
      ...result.urls.map((url) => {
        const img = document.createElement('img')
        img.src = url
        img.alt = request.prompt
        img.className = 'final'
        return img
      }),
    )
    setPhase('done', result.cache === 'HIT' ? 'Done (from the cache: no new cost).' : 'Done.')
    const items = remember({
      id: crypto.randomUUID(),
      created: Date.now(),
      kind,
      request,
      urls: result.urls,
      cache: result.cache,
    })
    renderGallery($('gallery'), $('gallery-empty'), items, galleryActions)
  } catch (error) {
    if (controller.signal.aborted) setPhase('idle', 'Cancelled.')
    else {
      setPhase('failed', 'That did not work.')
      showError(
        error instanceof GatewayError
          ? error
          : { message: 'The gateway could not be reached. Check your connection.' },
      )
    }
  } finally {
    if (running === controller) running = null
  }
}

const galleryActions = {
  again(item) {
    document.querySelector('input[name="mode"][value="generate"]').checked = true
    setMode()
    form.load(item.request)
    window.scrollTo({ top: 0, behavior: 'smooth' })
    run(item.request, true)
  },
  remove(item) {
    renderGallery($('gallery'), $('gallery-empty'), forget(item.id), galleryActions)
  },
}

async function start() {
  $('api-key').value = localStorage.getItem(KEY_STORAGE) ?? ''
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault()
    localStorage.setItem(KEY_STORAGE, $('api-key').value.trim())
    $('key-form').closest('details').open = false
  })
  renderGallery($('gallery'), $('gallery-empty'), loadGallery(), galleryActions)
  try {
    const capabilities = await loadCapabilities()
    form = new ImageForm(capabilities)
    inputs = new EditInputs()
    for (const radio of document.querySelectorAll('input[name="mode"]'))
      radio.addEventListener('change', setMode)
    setMode()
    $('demo-badge').hidden = capabilities.gateway.upstream !== 'demo'
    if (!capabilities.gateway.anonymous_access && !localStorage.getItem(KEY_STORAGE))
      $('key-form').closest('details').open = true
  } catch {
    $('status').textContent = 'Could not load the models from the gateway. Reload to try again.'
    return
  }
  $('generate').addEventListener('submit', (event) => {
    event.preventDefault()
    run(form.request())
  })
  $('prompt').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) $('generate').requestSubmit()
  })
  $('cancel').addEventListener('click', () => running?.abort())
  document.body.dataset.ready = 'true'
}

start()
