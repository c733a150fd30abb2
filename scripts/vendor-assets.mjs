#!/usr/bin/env node
// Copies the API reference's renderer (swagger-ui-dist, a devDependency) into public/vendor/ on
// install, so /docs serves it from our own origin: no CDN, works offline and under script-src 'self'.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
const target = join(root, 'public', 'vendor', 'swagger-ui')
const FILES = [
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'swagger-ui-bundle.js.LICENSE.txt',
  'LICENSE',
  'NOTICE',
]

const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'))
rmSync(target, { recursive: true, force: true })
mkdirSync(target, { recursive: true })
for (const file of FILES) cpSync(join(source, file), join(target, file))
writeFileSync(join(target, 'VERSION'), `swagger-ui-dist ${version}\n`)
