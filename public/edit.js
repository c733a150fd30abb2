// The page's edit inputs: pictures dropped or picked (shown as thumbnails, removable), and a mask
// painted over the first picture with a brush. The mask is made at the first picture's own size:
// opaque everywhere, transparent where painted (what the API edits).
const $ = (id) => document.getElementById(id)
const TYPES = ['image/png', 'image/jpeg', 'image/webp']
const MAX_PICTURES = 16

export class EditInputs {
  constructor({ onChange = () => {} } = {}) {
    this.pictures = []
    this.onChange = onChange
    this.painted = false
    this.strokes = $('mask-strokes')
    $('edit-images').addEventListener('change', (event) => {
      this.add([...event.target.files])
      event.target.value = ''
    })
    const drop = $('drop-zone')
    drop.addEventListener('dragover', (event) => {
      event.preventDefault()
      drop.dataset.over = 'true'
    })
    drop.addEventListener('dragleave', () => delete drop.dataset.over)
    drop.addEventListener('drop', (event) => {
      event.preventDefault()
      delete drop.dataset.over
      this.add([...event.dataTransfer.files])
    })
    $('mask-clear').addEventListener('click', () => this.clearMask())
    $('mask-on').addEventListener('change', () => this.showMask())
    this.paintable()
  }

  /** Adds pictures (png, jpeg or webp), up to the API's limit. */
  add(files) {
    for (const file of files) {
      if (!TYPES.includes(file.type) || this.pictures.length >= MAX_PICTURES) continue
      this.pictures.push({ file, url: URL.createObjectURL(file) })
    }
    this.render()
  }

  remove(index) {
    const [gone] = this.pictures.splice(index, 1)
    URL.revokeObjectURL(gone.url)
    if (index === 0) this.clearMask()
    this.render()
  }

  files() {
    return this.pictures.map((p) => p.file)
  }

  render() {
    const list = $('edit-thumbs')
    list.replaceChildren(
      ...this.pictures.map((picture, index) => {
        const item = document.createElement('li')
        const img = document.createElement('img')
        img.src = picture.url
        img.alt = picture.file.name
        const remove = document.createElement('button')
        remove.type = 'button'
        remove.textContent = '×'
        remove.title = `Remove ${picture.file.name}`
        remove.addEventListener('click', () => this.remove(index))
        item.append(img, remove)
        return item
      }),
    )
    $('mask-field').hidden = this.pictures.length === 0
    this.showMask()
    this.onChange()
  }

  /** Shows the first picture under the mask canvas, sized to fit the panel. */
  async showMask() {
    const on = $('mask-on').checked && this.pictures.length > 0
    $('mask-painter').hidden = !on
    if (!on) return
    const first = this.pictures[0]
    if (this.shown === first) return
    this.shown = first
    const bitmap = await createImageBitmap(first.file)
    this.size = { width: bitmap.width, height: bitmap.height }
    const base = $('mask-base')
    // Shown at a size that is easy to paint on, whatever the picture's own size.
    const scale = Math.min(480 / bitmap.width, 320 / bitmap.height)
    for (const canvas of [base, this.strokes]) {
      canvas.width = Math.round(bitmap.width * scale)
      canvas.height = Math.round(bitmap.height * scale)
    }
    base.getContext('2d').drawImage(bitmap, 0, 0, base.width, base.height)
    this.clearMask()
  }

  clearMask() {
    this.strokes.getContext('2d').clearRect(0, 0, this.strokes.width, this.strokes.height)
    this.painted = false
  }

  /** Brush strokes (pointer or touch) on the overlay: opaque (the overlay itself is see-through). */
  paintable() {
    const canvas = this.strokes
    let last = null
    const point = (event) => {
      const box = canvas.getBoundingClientRect()
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      }
    }
    const draw = (to) => {
      const context = canvas.getContext('2d')
      context.strokeStyle = 'rgb(230, 40, 40)'
      context.lineCap = 'round'
      context.lineWidth = Number($('mask-brush').value)
      context.beginPath()
      context.moveTo(last.x, last.y)
      context.lineTo(to.x + 0.01, to.y)
      context.stroke()
      last = to
      this.painted = true
    }
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId)
      last = point(event)
      draw(last)
    })
    canvas.addEventListener('pointermove', (event) => last && draw(point(event)))
    for (const end of ['pointerup', 'pointercancel'])
      canvas.addEventListener(end, () => (last = null))
  }

  /** The mask as a png at the first picture's size, or null when none was painted. */
  async mask() {
    if (!$('mask-on').checked || !this.painted || !this.size) return null
    const canvas = document.createElement('canvas')
    canvas.width = this.size.width
    canvas.height = this.size.height
    const context = canvas.getContext('2d')
    context.fillStyle = '#fff'
    context.fillRect(0, 0, canvas.width, canvas.height)
    context.globalCompositeOperation = 'destination-out'
    context.drawImage(this.strokes, 0, 0, canvas.width, canvas.height)
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'))
  }
}
