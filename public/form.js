// The form, built from GET /v1/models: only the models, sizes (with each model's presets) and
// choices the registry allows (an edit's input fidelity too), and the validator's own size rules
// (size-rules.js).
import { sizeProblem } from './size-rules.js'

const $ = (id) => document.getElementById(id)
const CUSTOM = 'custom'

function fill(select, values, current, labels = {}) {
  select.replaceChildren(
    ...values.map((value) => {
      const option = document.createElement('option')
      option.value = value
      option.textContent = labels[value] ?? value
      return option
    }),
  )
  select.value = values.includes(current) ? current : values[0]
}

export class ImageForm {
  constructor(capabilities) {
    this.models = new Map(capabilities.data.map((model) => [model.id, model]))
    this.gateway = capabilities.gateway
    fill($('model'), [...this.models.keys()], this.gateway.default_model)
    fill($('moderation'), this.gateway.moderations, 'auto')
    fill($('output_format'), this.gateway.output_formats, 'auto', { auto: 'auto (png)' })
    for (const id of ['model', 'size', 'output_format', 'background', 'stream'])
      $(id).addEventListener('change', () => this.refresh())
    for (const id of ['width', 'height']) $(id).addEventListener('input', () => this.checkSize())
    $('output_compression').addEventListener('input', () => {
      $('compression-value').textContent = $('output_compression').value
    })
    this.refresh()
  }

  get model() {
    return this.models.get($('model').value)
  }

  /** Switches between making a picture and editing given ones. */
  setMode(editing) {
    this.editing = editing
    this.refresh()
  }

  /** Offers what the chosen model allows; hides fields that don't apply. */
  refresh() {
    const caps = this.model.capabilities
    const rule = caps.sizes
    const sizes =
      rule.kind === 'fixed' ? ['auto', ...rule.sizes] : ['auto', ...rule.presets, CUSTOM]
    fill($('size'), sizes, $('size').value, { custom: 'Custom…' })
    fill($('quality'), caps.qualities, $('quality').value || 'auto')
    const backgrounds = this.gateway.backgrounds.filter(
      (b) => b !== 'transparent' || caps.transparent_background,
    )
    fill($('background'), backgrounds, $('background').value || 'auto')
    // Transparency needs a format with an alpha channel.
    const alpha = $('background').value === 'transparent'
    const formats = this.gateway.output_formats.filter((f) => !alpha || f !== 'jpeg')
    fill($('output_format'), formats, $('output_format').value, { auto: 'auto (png)' })
    const format = $('output_format').value
    $('compression-field').hidden = !['jpeg', 'webp'].includes(format)
    $('partials-field').hidden = !$('stream').checked
    $('custom-size').hidden = $('size').value !== CUSTOM
    const fidelities = caps.input_fidelities ?? []
    fill($('input_fidelity'), fidelities, $('input_fidelity').value || fidelities[0])
    $('fidelity-field').hidden = !this.editing || fidelities.length === 0
    this.checkSize()
  }

  /** The size the form asks for: a preset, or the custom width × height. */
  size() {
    return $('size').value === CUSTOM ? `${$('width').value}x${$('height').value}` : $('size').value
  }

  /** Checks the size as you type, with the validator's own rules and words. */
  checkSize() {
    const problem = sizeProblem(this.model.id, this.model.capabilities.sizes, this.size())
    const box = $('size-problem')
    box.textContent = problem ?? ''
    box.hidden = !problem
    for (const id of ['width', 'height', 'size'])
      $(id).setAttribute('aria-invalid', String(Boolean(problem)))
    return problem
  }

  /** The request exactly as it will be sent (our `response_format` is added when sending). */
  request() {
    const format = $('output_format').value
    const request = {
      model: this.model.id,
      prompt: $('prompt').value.trim(),
      n: Number($('n').value) || 1,
      size: this.size(),
      quality: $('quality').value,
      background: $('background').value,
      moderation: $('moderation').value,
      output_format: format,
    }
    if (['jpeg', 'webp'].includes(format))
      request.output_compression = Number($('output_compression').value)
    if ($('user').value.trim()) request.user = $('user').value.trim()
    if (this.editing && !$('fidelity-field').hidden)
      request.input_fidelity = $('input_fidelity').value
    if ($('stream').checked) {
      request.stream = true
      request.partial_images = Number($('partial_images').value) || 0
    }
    return request
  }

  /** Puts a past request back into the form. */
  load(request) {
    $('prompt').value = request.prompt
    $('model').value = request.model
    this.refresh()
    const rule = this.model.capabilities.sizes
    if (rule.kind === 'custom' && ![...$('size').options].some((o) => o.value === request.size)) {
      $('size').value = CUSTOM
      const [width, height] = request.size.split('x')
      $('width').value = width
      $('height').value = height
    } else $('size').value = request.size
    for (const name of ['quality', 'background', 'moderation', 'output_format'])
      $(name).value = request[name]
    $('n').value = String(request.n)
    $('stream').checked = Boolean(request.stream)
    this.refresh()
  }

  /** Marks the field an error names, so a person sees where to look. */
  markInvalid(param) {
    const id = { size: this.size() === $('size').value ? 'size' : 'width' }[param] ?? param
    const field = param ? $(id) : null
    if (field) {
      field.setAttribute('aria-invalid', 'true')
      field.focus()
    }
  }
}
