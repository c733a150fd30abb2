// Renders /openapi.json as a readable reference: each operation with its parameters, request
// fields (types, ranges, descriptions) and responses. No framework, no build.

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children.filter((c) => c !== null && c !== undefined))
  return node
}

function typeOf(schema = {}) {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  const parts = [schema.type ?? 'any']
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? ''}–${schema.maximum ?? ''}`)
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

function operation(path, method, op) {
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
  if (op.description) section.append(el('p', { textContent: op.description }))
  if (op.parameters?.length) {
    section.append(
      el('h3', { textContent: 'Parameters' }),
      table(
        ['Name', 'In', 'Description'],
        op.parameters.map((p) => [el('code', { textContent: p.name }), p.in, p.description ?? '']),
      ),
    )
  }
  const body = op.requestBody?.content?.['application/json']?.schema
  if (body) section.append(el('h3', { textContent: 'Request body' }), fields(body))
  section.append(
    el('h3', { textContent: 'Responses' }),
    table(
      ['Status', 'Description'],
      Object.entries(op.responses ?? {}).map(([status, r]) => [status, r.description ?? '']),
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
  for (const [method, op] of Object.entries(item)) main.append(operation(path, method, op))
}
