// Runs the gateway as two workers in one `wrangler dev` session (bench/split/*.toml): the worker,
// and GenerationCoordinator served by a second worker, so each has its own isolate as in production.
// Compatibility date and flags come from wrangler.toml; bindings it has and these lack are reported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startWranglerDev } from '../../scripts/wrangler-dev.mjs'
import { findWorkerd } from '../process-stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const production = () => readFileSync(resolve(here, '../../wrangler.toml'), 'utf8')
const COMPATIBILITY = /^compatibility_(date|flags) = .*$/gm
export const WORKER_NAME = 'bench-gateway'
export const COORDINATOR_NAME = 'bench-coordinator'

/**
 * A copy of a config in a temporary directory: relative paths made absolute, and `vars` added to
 * its [vars] table (`--var` only reaches the first worker of a session); without the request log
 * when BENCH_LOG=off.
 */
function materialize(file, dir, vars) {
  const compatibility = new Map(
    [...production().matchAll(COMPATIBILITY)].map((match) => [match[1], match[0]]),
  )
  let text = readFileSync(join(here, file), 'utf8')
    .replace(
      /^(main|directory|migrations_dir) = "(\.[^"]*)"$/gm,
      (_, key, path) => `${key} = ${JSON.stringify(resolve(here, path))}`,
    )
    .replace(COMPATIBILITY, (line, key) => compatibility.get(key) ?? line)
  // BENCH_LOG=off: no request log, to measure what logging adds (the rest of the file follows it).
  if (process.env.BENCH_LOG === 'off') text = text.replace(/\n# The request log[\s\S]*$/, '\n')
  const lines = Object.entries(vars).map(([name, value]) => `${name} = ${JSON.stringify(value)}`)
  text = text.replace(/^\[vars\]$/m, `[vars]\n${lines.join('\n')}`)
  const out = join(dir, file)
  writeFileSync(out, text)
  return out
}

/** Binding and var names in wrangler.toml: `binding = "X"`, DO `name = "X"`, [vars] keys. */
function names(text) {
  const found = new Set()
  let section = ''
  for (const line of text.split('\n')) {
    const header = /^\[\[?([^\]]+)\]\]?/.exec(line)?.[1]
    if (header) section = header
    const key = /^([A-Za-z_]+) = "([^"]*)"/.exec(line)
    if (!key) continue
    if (key[1] === 'binding' || (section === 'durable_objects.bindings' && key[1] === 'name'))
      found.add(key[2])
    else if (section === 'vars') found.add(key[1])
  }
  return found
}

/** Names wrangler.toml binds that the split configs lack (they would fail or differ). */
export function missingBindings() {
  const split = new Set([
    ...names(readFileSync(join(here, 'gateway.toml'), 'utf8')),
    ...names(readFileSync(join(here, 'coordinator.toml'), 'utf8')),
  ])
  return [...names(production())].filter((name) => !split.has(name))
}

/** Starts both workers; `vars` reach both. Returns the wrangler-dev handle plus workerd pids. */
export async function startSplitGateway({ port, vars }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-split-'))
  const configs = [
    materialize('gateway.toml', dir, vars),
    materialize('coordinator.toml', dir, vars),
  ]
  const server = await startWranglerDev({ port, configs, readyPath: '/v1/models' })
  return {
    ...server,
    pids: () => findWorkerd(server.child.pid),
    stop: async () => {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
