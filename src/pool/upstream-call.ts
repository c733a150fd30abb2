/**
 * The exact request a pool entry gets: OpenAI's path and Bearer key, or Azure's classic route
 * (deployment in the path, `api-version`, `api-key`) or v1 route (`model` = deployment). Only
 * fields Azure does not take, and that change nothing, are left out.
 */

import type { PoolEntry } from '../pool-config/entry'
import type { UpstreamPayload } from '../upstream/payload'

export interface PreparedCall {
  url: string
  /** Authentication; the body's content type is the caller's (JSON or multipart). */
  headers: Record<string, string>
  /** The body to send, translated for the entry. */
  payload: UpstreamPayload
  /** `manual` for Azure: its key never follows a redirect (as openai-node's AzureOpenAI does). */
  redirect: 'follow' | 'manual'
}

const ENDPOINTS = { generation: 'generations', edit: 'edits' } as const

/** The call for an entry chosen for this payload (routing checked `unsupported` first). */
export function prepareCall(entry: PoolEntry, payload: UpstreamPayload): PreparedCall {
  const endpoint = ENDPOINTS[payload.kind]
  if (entry.kind === 'openai') {
    return {
      url: `${entry.baseUrl}/images/${endpoint}`,
      headers: entry.apiKey ? { authorization: `Bearer ${entry.apiKey}` } : {},
      payload,
      redirect: 'follow',
    }
  }
  const model = modelOf(payload)
  const deployment = entry.deployments[model as keyof typeof entry.deployments]
  if (!deployment) throw new Error(`upstream ${entry.name} has no deployment for ${model}`)
  // The key goes in `api-key` on both routes: on the classic route a Bearer value is an Entra
  // token, never a key.
  const headers = { 'api-key': entry.apiKey ?? '' }
  if (entry.apiVersion === 'v1') {
    return {
      url: `${entry.baseUrl}/openai/v1/images/${endpoint}`,
      headers,
      payload: rewrite(payload, (name, value) => (name === 'model' ? deployment : value)),
      redirect: 'manual',
    }
  }
  const version = encodeURIComponent(entry.apiVersion ?? '')
  return {
    url: `${entry.baseUrl}/openai/deployments/${encodeURIComponent(deployment)}/images/${endpoint}?api-version=${version}`,
    headers,
    // The deployment names the model: a `model` in the body is checked against real model names
    // and a deployment name there is refused (LiteLLM #26316). `moderation` is not in the classic
    // api-versions: only its default, `auto`, reaches here, and leaving it out changes nothing.
    payload: rewrite(payload, (name, value) =>
      name === 'model' || (name === 'moderation' && value === 'auto') ? null : value,
    ),
    redirect: 'manual',
  }
}

function modelOf(payload: UpstreamPayload): string {
  if (payload.kind === 'generation') return String(payload.fields.model)
  return payload.fields.find(([name]) => name === 'model')?.[1] ?? ''
}

/**
 * The payload with each field mapped (null drops it). `response_format` is always dropped: Azure
 * refuses the field for gpt-image ("always return base64-encoded images"), and b64_json, the only
 * value OpenAI takes, is what it sends anyway; so an explicit b64_json is dropped, not routed away.
 * (`url` is this gateway's own, made from stored images, and never sent upstream.)
 */
function rewrite(
  payload: UpstreamPayload,
  map: (name: string, value: unknown) => unknown,
): UpstreamPayload {
  const keep = (name: string, value: unknown) =>
    name === 'response_format' ? null : map(name, value)
  if (payload.kind === 'generation') {
    const body: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(payload.fields)) {
      const mapped = keep(name, value)
      if (mapped !== null) body[name] = mapped
    }
    return { kind: 'generation', fields: body }
  }
  const fields: [string, string][] = []
  for (const [name, value] of payload.fields) {
    const mapped = keep(name, value)
    if (mapped !== null) fields.push([name, String(mapped)])
  }
  return { kind: 'edit', fields, files: payload.files }
}
