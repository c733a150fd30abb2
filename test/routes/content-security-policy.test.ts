/// <reference types="vite/client" />
/**
 * One strict Content-Security-Policy over every file of public/ (the page, /docs, the console),
 * and pages that need nothing it forbids: no inline script, style or event handler.
 */
import { describe, expect, it } from 'vitest'
import headersFile from '../../public/_headers?raw'

/** The `_headers` rules: path pattern → header name (lower case) → value. */
function rules(text: string): Map<string, Map<string, string>> {
  const parsed = new Map<string, Map<string, string>>()
  let current: Map<string, string> | null = null
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue
    if (!/^\s/.test(line)) {
      current = new Map()
      parsed.set(line.trim(), current)
      continue
    }
    const at = line.indexOf(':')
    current?.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim())
  }
  return parsed
}

/** A policy's directives: name → sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name as string, sources]),
  )
}

const pages = import.meta.glob<string>('/public/**/*.html', {
  query: '?raw',
  import: 'default',
  eager: true,
})

describe('Content-Security-Policy', () => {
  const all = rules(headersFile)
  const policy = all.get('/*')?.get('content-security-policy') ?? ''

  it('covers every file of public/ with one policy, and no other rule sets another', () => {
    expect(policy).not.toBe('')
    for (const [path, headers] of all)
      if (path !== '/*') expect(headers.has('content-security-policy'), path).toBe(false)
  })

  it('allows scripts and styles from this origin only, no plugins, framing or base changes', () => {
    const policyOf = directives(policy)
    expect(policyOf.get('default-src')).toEqual(["'none'"])
    expect(policyOf.get('script-src')).toEqual(["'self'"])
    expect(policyOf.get('style-src')).toEqual(["'self'"])
    expect(policyOf.get('object-src')).toEqual(["'none'"])
    expect(policyOf.get('frame-ancestors')).toEqual(["'none'"])
    expect(policyOf.get('base-uri')).toEqual(["'none'"])
    expect(policyOf.get('connect-src')).toEqual(["'self'"])
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/)
  })

  it('has pages with no inline script, style or event handler', () => {
    expect(Object.keys(pages)).toEqual(
      expect.arrayContaining([
        '/public/index.html',
        '/public/docs.html',
        '/public/admin/index.html',
      ]),
    )
    for (const [path, html] of Object.entries(pages)) {
      for (const script of html.match(/<script\b[^>]*>/g) ?? [])
        expect(script, `${path}: a script from a file`).toMatch(/\ssrc=/)
      expect(html, `${path}: no <style>`).not.toMatch(/<style\b/i)
      expect(html, `${path}: no style attribute`).not.toMatch(/\sstyle=/i)
      expect(html, `${path}: no inline handler`).not.toMatch(/\son[a-z]+=/i)
      expect(html, `${path}: no javascript: URL`).not.toMatch(/javascript:/i)
    }
  })
})
