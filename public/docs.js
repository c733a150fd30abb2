// Renders /openapi.json as a readable reference: each operation with who may call it, its
// parameters and request fields (types, ranges, descriptions) and its responses with their
// fields. No framework, no build.

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children.filter((c) => c !== null && c !== undefined))
  return node
}

function typeOf(schema = {}) {
  if (schema.format === 'binary') return 'file'
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  const options = schema.oneOf ?? schema.anyOf
  if (options) return options.map(typeOf).join(' or ')
  if (schema.type === 'array') return `array of ${typeOf(schema.items)}`
  const parts = [[schema.type ?? 'any'].flat().join(' | ')]
  if (schema.pattern) parts.push(`matching ${schema.pattern}`)
  const { minimum: min, maximum: max } = schema
  if (min !== undefined && max !== undefined) parts.push(`${min}–${max}`)
  else if (min !== undefined) parts.push(`≥ ${min}`)
  else if (max !== undefined) parts.push(`≤ ${max}`)
  if (schema.maxLength !== undefined) parts.push(`≤ ${schema.maxLength} chars`)
  return parts.join(', ')
}

function table(headings, rows) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', { textContent: h })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((cell) => el('td', {}, cell))))),
  )
}

function fields(schema) {
  const required = new Set(schema.required ?? [])
  return table(
    ['Field', 'Type', 'Required', 'Description'],
    Object.entries(schema.properties ?? {}).map(([name, s]) => [
      el('code', { textContent: name }),
      typeOf(s),
      required.has(name) ? 'yes' : '',
      s.description ?? '',
    ]),
  )
}

/** The fields of a JSON answer, as a compact list. */
function answerFields(response) {
  const schema = response.content?.['application/json']?.schema
  if (!schema?.properties) return Object.keys(response.content ?? {}).join(', ')
  return el('code', { textContent: Object.keys(schema.properties).join(', ') })
}

function operation(path, method, op, defaultSecurity) {
  const section = el(
    'section',
    { className: 'op' },
    el(
      'h2',
      {},
      el('span', { className: 'method', textContent: method.toUpperCase() }),
      el('code', { textContent: path }),
      ` ${op.summary ?? ''}`,
    ),
  )
  const security = op.security ?? defaultSecurity ?? []
  section.append(
    el('p', {
      className: 'muted',
      textContent: security.length > 0 ? 'Needs a key (Authorization: Bearer …).' : 'No key.',
    }),
  )
  if (op.description) section.append(el('p', { textContent: op.description }))
  if (op.parameters?.length) {
    section.append(
      el('h3', { textContent: 'Parameters' }),
      table(
        ['Name', 'In', 'Type', 'Required', 'Description'],
        op.parameters.map((p) => [
          el('code', { textContent: p.name }),
          p.in,
          typeOf(p.schema),
          p.required ? 'yes' : '',
          p.description ?? p.schema?.description ?? '',
        ]),
      ),
    )
  }
  // Each form the body may take (an edit: multipart/form-data or JSON).
  const bodies = Object.entries(op.requestBody?.content ?? {}).filter(
    ([, m]) => m.schema?.properties,
  )
  for (const [type, media] of bodies) {
    const title = bodies.length > 1 ? `Request body (${type})` : 'Request body'
    section.append(el('h3', { textContent: title }), fields(media.schema))
  }
  section.append(
    el('h3', { textContent: 'Responses' }),
    table(
      ['Status', 'Description', 'Body'],
      Object.entries(op.responses ?? {}).map(([status, r]) => [
        status,
        r.description ?? '',
        answerFields(r),
      ]),
    ),
  )
  return section
}

const doc = await (await fetch('/openapi.json')).json()
const main = document.getElementById('docs')
main.replaceChildren(
  el('h1', { textContent: doc.info.title }),
  el('p', { textContent: doc.info.description }),
)
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item))
    main.append(operation(path, method, op, doc.security))
}
