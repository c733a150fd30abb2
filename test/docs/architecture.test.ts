/// <reference types="vite/client" />
/**
 * The documents name only paths that exist: every `src/…`, `test/…`, `shared/…` (and the like) in
 * docs/ARCHITECTURE.md, the other docs and the README is a file or folder of this checkout.
 */
import { describe, expect, it } from 'vitest'
import architecture from '../../docs/ARCHITECTURE.md?raw'
import readme from '../../README.md?raw'

const documents = {
  'docs/ARCHITECTURE.md': architecture,
  'README.md': readme,
  ...Object.fromEntries(
    Object.entries(
      import.meta.glob<string>('/docs/*.md', { query: '?raw', import: 'default', eager: true }),
    ).map(([path, text]) => [path.slice(1), text]),
  ),
}

/** Every file of the checkout's own folders, as paths from its root. */
const files = Object.keys(
  import.meta.glob([
    '/src/**/*',
    '/test/**/*',
    '/shared/**/*',
    '/public/**/*',
    '/docs/**/*',
    '/migrations/**/*',
    '/scripts/**/*',
    '/bench/**/*',
  ]),
)
  .map((path) => path.slice(1))
  // A glob leaves out the file that runs it.
  .concat('test/docs/architecture.test.ts')

const PATH = /`((?:src|test|shared|public|docs|migrations|scripts|bench)\/[A-Za-z0-9_./*-]*)`/g

/** Whether `path` is a file, or a folder (with or without its trailing slash) holding one. */
function exists(path: string): boolean {
  const bare = path.replace(/\/$/, '')
  return files.some((file) => file === bare || file.startsWith(`${bare}/`))
}

describe('the documents', () => {
  const named = (text: string) =>
    [...text.matchAll(PATH)].map((match) => match[1] as string).filter((p) => !p.includes('*'))

  it('find the checkout’s files, and name many of them (this test can see them)', () => {
    expect(files).toContain('src/index.ts')
    expect(files).toContain('docs/ARCHITECTURE.md')
    expect(Object.keys(documents)).toContain('docs/api.md')
    expect(named(architecture).length).toBeGreaterThan(40)
  })

  it.each(Object.entries(documents))('%s names only paths that exist', (_name, text) => {
    expect(named(text).filter((path) => !exists(path))).toEqual([])
  })
})
