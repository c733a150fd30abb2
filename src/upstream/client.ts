/**
 * Calls the upstream images endpoint: the operator's key, a deadline for its headers, and one retry
 * only where retrying helps (5xx, network, timeout), before anything reached a client.
 */
import { fail } from '../errors'
import type { Failure } from '../failure'
import { failureFromUpstream } from './error-mapping'
import { multipartBody } from './multipart-body'
import { type OpenInput, UPSTREAM_PATHS, type UpstreamPayload } from './payload'
import type { UpstreamTarget } from './target'

const RETRY_DELAY_MS = 250

export interface UpstreamCall {
  /** The prompt, which joins the payload's fields after `model`, as the API lists them. */
  prompt: string
  payload: UpstreamPayload
  /** Reads an edit's stored pictures. */
  open?: OpenInput
  /** The generation's total deadline: aborts the call and any retry. */
  signal?: AbortSignal
}

/** A fresh body for one attempt, and its content type. */
export function bodyOf(call: UpstreamCall): { body: BodyInit; contentType: string } {
  const { payload, prompt } = call
  if (payload.kind === 'generation') {
    const { model, ...rest } = payload.fields
    return { body: JSON.stringify({ model, prompt, ...rest }), contentType: 'application/json' }
  }
  // After `model` when the fields name one (an Azure deployment route names none), else first.
  const at = payload.fields[0]?.[0] === 'model' ? 1 : 0
  const fields: [string, string][] = [
    ...payload.fields.slice(0, at),
    ['prompt', prompt],
    ...payload.fields.slice(at),
  ]
  const open: OpenInput = call.open ?? (() => Promise.resolve(null))
  return multipartBody(fields, payload.files, open)
}

export type Attempt = { ok: true; response: Response } | { ok: false; failure: Failure }

/** Where one attempt goes and how it authenticates; `classify` reads a non-2xx answer. */
export interface Destination {
  url: string
  headers: Record<string, string>
  redirect: 'follow' | 'manual'
  timeoutMs: number
  fetch: (request: Request) => Promise<Response>
  classify: (response: Response) => Promise<Failure>
}

/**
 * Sends the request; resolves with a 2xx response whose body is not yet read. An edit's pictures
 * stream from R2 into its multipart body. No client signal is taken: a generation belongs to its
 * owner, not to whichever client asked first.
 */
export async function callUpstream(target: UpstreamTarget, call: UpstreamCall): Promise<Response> {
  const first = await attempt(target, call)
  if (first.ok) return first.response
  if (!isRetryable(first.failure)) fail(first.failure)
  await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS))
  if (call.signal?.aborted) fail({ kind: 'upstream_unavailable', cause: 'timeout' })
  const second = await attempt(target, call)
  if (second.ok) return second.response
  fail(second.failure)
}

function isRetryable(failure: Failure): boolean {
  return failure.kind === 'upstream_unavailable' && failure.cause !== 'malformed'
}

function attempt(target: UpstreamTarget, call: UpstreamCall): Promise<Attempt> {
  return send(
    {
      url: `${target.baseUrl}${UPSTREAM_PATHS[call.payload.kind]}`,
      headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
      redirect: 'follow',
      timeoutMs: target.timeoutMs,
      fetch: target.fetch,
      classify: failureFromUpstream,
    },
    call,
  )
}

/** One attempt: the call's body to `to`, under the header deadline and the call's signal. */
export async function send(to: Destination, call: UpstreamCall): Promise<Attempt> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, to.timeoutMs)
  const { body, contentType } = bodyOf(call)
  try {
    const response = await to.fetch(
      new Request(to.url, {
        method: 'POST',
        headers: { 'content-type': contentType, ...to.headers },
        body,
        redirect: to.redirect,
        signal: call.signal ? AbortSignal.any([controller.signal, call.signal]) : controller.signal,
      }),
    )
    if (response.ok) return { ok: true, response }
    return { ok: false, failure: await to.classify(response) }
  } catch {
    // The thrown error may carry the URL or headers; only its category is kept.
    return {
      ok: false,
      failure: {
        kind: 'upstream_unavailable',
        cause: timedOut || call.signal?.aborted ? 'timeout' : 'network',
      },
    }
  } finally {
    clearTimeout(timer)
  }
}
