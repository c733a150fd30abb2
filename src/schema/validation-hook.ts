/**
 * Turns the first zod issue into an OpenAI-style 400 that names the offending parameter, with the
 * wording and codes OpenAI uses ("Missing required parameter", "Unknown parameter", ...), so
 * clients see the same errors they would see from OpenAI.
 */
import type { core } from 'zod'
import { fail } from '../errors'
import type { Failure } from '../failure'

type Issue = core.$ZodIssue

/**
 * The hook for every validator: throws the first issue as an `invalid_request` failure. In a
 * query (a URL someone typed), an unknown parameter is named before anything else.
 */
export function rejectInvalid(result: {
  success: boolean
  error?: { issues: Issue[] }
  /** The raw input (the validator passes it along with a failure). */
  data?: unknown
  target?: string
}) {
  if (result.success || !result.error) return
  const { issues } = result.error
  const [first] =
    result.target === 'query'
      ? [...issues.filter((issue) => issue.code === 'unrecognized_keys'), ...issues]
      : issues
  fail(
    first
      ? describeIssue(first, result.data)
      : {
          kind: 'invalid_request',
          message: 'Invalid request.',
          param: null,
          code: 'invalid_request',
        },
  )
}

/** Builds the failure for one zod issue; `input` is the raw request body. */
export function describeIssue(issue: Issue, input: unknown): Failure {
  const param = issue.path.length > 0 ? issue.path.map(String).join('.') : null
  const value = valueAt(input, issue.path)
  const invalid = (message: string, code: string, p: string | null = param): Failure => ({
    kind: 'invalid_request',
    message,
    param: p,
    code,
  })
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? ''
      return invalid(`Unknown parameter: '${key}'.`, 'unknown_parameter', key)
    }
    case 'invalid_type':
      if (param === null) {
        return invalid(
          `The request body must be a JSON object, but got ${describeType(input)} instead.`,
          'invalid_type',
        )
      }
      if (value === undefined) {
        return invalid(`Missing required parameter: '${param}'.`, 'missing_required_parameter')
      }
      return invalid(
        `Invalid type for '${param}': expected ${article(issue.expected)}, but got ${describeType(value)} instead.`,
        'invalid_type',
      )
    case 'invalid_value': {
      if (typeof value !== 'string' && issue.values.every((v) => typeof v === 'string')) {
        return invalid(
          `Invalid type for '${param}': expected a string, but got ${describeType(value)} instead.`,
          'invalid_type',
        )
      }
      const choices = issue.values.map((v) => `'${String(v)}'`).join(', ')
      return invalid(
        `Invalid value: '${String(value)}'. Supported values are: ${choices}.`,
        'invalid_value',
      )
    }
    case 'too_big':
      if (issue.origin === 'array') {
        return invalid(
          `Invalid '${param}': array too long. Expected at most ${issue.maximum} items, but got ${(value as unknown[]).length}.`,
          'array_above_max_length',
        )
      }
      if (issue.origin === 'string') {
        return invalid(
          `Invalid '${param}': string too long. Expected a string with maximum length ${issue.maximum}, but got a string with length ${(value as string).length} instead.`,
          'string_above_max_length',
        )
      }
      return invalid(
        `Invalid '${param}': integer above maximum value. Expected a value <= ${issue.maximum}, but got ${String(value)} instead.`,
        'integer_above_max_value',
      )
    case 'too_small':
      if (issue.origin === 'array') {
        return invalid(
          `Invalid '${param}': array too short. Expected at least ${issue.minimum} item(s), but got ${(value as unknown[]).length}.`,
          'array_too_short',
        )
      }
      if (issue.origin === 'string') {
        return invalid(
          `Invalid '${param}': empty string. Expected a string with minimum length ${issue.minimum}, but got an empty string instead.`,
          'empty_string',
        )
      }
      return invalid(
        `Invalid '${param}': integer below minimum value. Expected a value >= ${issue.minimum}, but got ${String(value)} instead.`,
        'integer_below_min_value',
      )
    case 'custom': {
      const code = typeof issue.params?.code === 'string' ? issue.params.code : 'invalid_value'
      return invalid(issue.message, code)
    }
    default:
      return invalid(`Invalid '${param ?? 'body'}': ${issue.message}.`, 'invalid_value')
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

function article(expected: string): string {
  // Every numeric field of the contract is an integer; zod reports a string given to z.int() as
  // "expected number", so both name the same thing here.
  if (expected === 'int' || expected === 'number') return 'an integer'
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`
}
