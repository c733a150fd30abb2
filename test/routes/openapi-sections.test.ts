/** The reference's order and locks: images first, the admin API last and behind ADMIN_TOKEN. */
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../helpers/openapi'

interface Operation {
  tags?: string[]
  security?: Record<string, string[]>[]
}

interface Doc {
  tags: { name: string; description: string }[]
  security: Record<string, string[]>[]
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string; scheme: string }> }
}

/** Every operation in the document's order, as `METHOD path` with what it says of itself. */
function operations(doc: Doc): { name: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  )
}

describe('the API reference’s sections', () => {
  it('lists generations, then edits, first, and the admin API last', async () => {
    const doc = await openApiDocument<Doc>()
    expect(doc.tags.map((tag) => tag.name)).toEqual([
      'Images',
      'Embeds',
      'Background',
      'Files',
      'Models',
      'Usage',
      'Admin',
    ])
    const names = operations(doc).map(({ name }) => name)
    expect(names.slice(0, 2)).toEqual(['POST /v1/images/generations', 'POST /v1/images/edits'])
    const admin = names.filter((name) => name.includes(' /v1/admin/'))
    expect(admin.length).toBeGreaterThan(0)
    expect(names.slice(-admin.length)).toEqual(admin)
  })

  it('puts every operation in exactly one declared section, in the sections’ order', async () => {
    const doc = await openApiDocument<Doc>()
    const declared = doc.tags.map((tag) => tag.name)
    const all = operations(doc)
    expect(all.length).toBeGreaterThan(0)
    for (const { name, operation } of all) {
      expect(operation.tags, name).toHaveLength(1)
      expect(declared, name).toContain(operation.tags?.[0])
    }
    const order = all.map(({ operation }) => declared.indexOf(operation.tags?.[0] ?? ''))
    expect(order).toEqual([...order].sort((a, b) => a - b))
  })

  it('locks the admin API with ADMIN_TOKEN, its own scheme, and no other route with it', async () => {
    const doc = await openApiDocument<Doc>()
    expect(doc.components.securitySchemes.adminToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    })
    expect(doc.security).toEqual([{ bearer: [] }])
    const all = operations(doc)
    const admin = all.filter(({ name }) => name.includes(' /v1/admin/'))
    expect(admin.map(({ name }) => name).sort()).toEqual([
      'GET /v1/admin/actions',
      'GET /v1/admin/keys',
      'GET /v1/admin/requests',
      'GET /v1/admin/upstreams',
      'GET /v1/admin/usage',
      'GET /v1/admin/webhooks/failures',
      'POST /v1/admin/keys',
      'POST /v1/admin/keys/{id}/credit',
      'POST /v1/admin/keys/{id}/revoke',
    ])
    for (const { name, operation } of all)
      if (name.includes(' /v1/admin/'))
        expect(operation.security, name).toEqual([{ adminToken: [] }])
      else expect(JSON.stringify(operation.security ?? null), name).not.toContain('adminToken')
  })
})
