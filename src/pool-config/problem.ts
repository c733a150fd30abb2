/**
 * Turns the first zod issue of UPSTREAMS into a problem naming the exact field
 * (`UPSTREAMS[1].deployments`) and the rule in words; never the value, which may be anything.
 */
import type { z } from 'zod'
import { MODEL_IDS } from '../models'
import type { PoolProblem } from './entry'

const FIELDS: Record<string, string> = {
  models: 'is for openai entries: an azure entry serves the models in its deployments',
  deployments: 'is for azure entries: an openai entry serves its models (default: all)',
  api_version: 'is for azure entries',
}
const KNOWN =
  'name, kind, base_url, key, models (openai), deployments and api_version (azure), weight, images_per_minute'

/** `UPSTREAMS[1].deployments["gpt-image-9"]`: indexes in brackets, odd keys quoted. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = 'UPSTREAMS'
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) name += `.${String(part)}`
    else name += `[${JSON.stringify(String(part))}]`
  }
  return name
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value
  for (const part of path) {
    if (!at || typeof at !== 'object') return undefined
    at = (at as Record<PropertyKey, unknown>)[part]
  }
  return at
}

export function problemOf(issue: z.core.$ZodIssue | undefined, value: unknown): PoolProblem {
  if (!issue) return { kind: 'misconfigured', variable: 'UPSTREAMS', rule: 'is invalid' }
  const path = issue.path
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys
    const inDeployments = path[path.length - 1] === 'deployments'
    const rule = inDeployments
      ? `names a model this gateway does not know (known: ${MODEL_IDS.join(', ')})`
      : (FIELDS[key ?? ''] ?? `is not a field of an upstream entry (known: ${KNOWN})`)
    return { kind: 'misconfigured', variable: fieldName([...path, key ?? '']), rule }
  }
  if (issue.code === 'invalid_type' && valueAt(value, path) === undefined)
    return { kind: 'misconfigured', variable: fieldName(path), rule: 'is required' }
  if (issue.code === 'invalid_type' && !issue.message.startsWith('must ')) {
    const rule = `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`
    return { kind: 'misconfigured', variable: fieldName(path), rule }
  }
  return { kind: 'misconfigured', variable: fieldName(path), rule: issue.message }
}
