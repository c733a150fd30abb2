/**
 * Async single requests: `Prefer: respond-async` answers 202 with the job's Location and runs
 * nothing while the client waits; the worker's queue() makes it through the usual owner and
 * billing; GET answers 202 and the status until it is done, then exactly the synchronous answer
 * (or its error); its events stream with SSE ids and resume after Last-Event-ID; only its key
 * reads it; its end is announced to the key's webhook.
 */
import { describe, expect, it } from 'vitest'
import { QUEUE_NAMES } from '../../src/background/queues'
import type { Bindings } from '../../src/env'
import { errorReply } from '../fakes/upstream'
import { file, form, png, postEdit } from '../helpers/edits'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { createKey, errorOf, gen, env as keysEnv } from '../helpers/keys'
import { CapturedQueue, deliver } from '../helpers/queues'
import { storedKeys } from '../helpers/r2'
import { readEvents, watchEvents } from '../helpers/sse'

const ASYNC = { prefer: 'respond-async' }

function setup(extra: Partial<Bindings> = {}) {
  const fake = fakeUpstream()
  const runs = new CapturedQueue()
  const webhooks = new CapturedQueue()
  const env = {
    ...keysEnv,
    WEBHOOK_URL_HOSTS: 'hooks.receiver.test',
    JOB_RUNS: runs.asQueue,
    WEBHOOKS: webhooks.asQueue,
    ...extra,
  }
  return { fake, runs, webhooks, env }
}

type Setup = ReturnType<typeof setup>

function getJob(s: Setup, key: string, location: string, headers: Record<string, string> = {}) {
  return callGateway(location, {
    env: s.env,
    headers: { authorization: `Bearer ${key}`, ...headers },
  })
}

async function runJobs(s: Setup) {
  return deliver(QUEUE_NAMES.jobs, s.runs.take(), s.env)
}

describe('Prefer: respond-async', () => {
  it('answers 202 with Location, then the synchronous answer once the queue has made it', async () => {
    const s = setup()
    const { key } = await createKey({ name: 'server', kind: 'secret', balance_usd: 1 }, s.env)
    const res = await gen(key, { prompt: 'a slow picture' }, ASYNC, s.env)
    expect(res.status).toBe(202)
    const location = res.headers.get('location') as string
    expect(location).toMatch(/^\/v1\/images\/jobs\/job_[0-9a-f]{32}$/)
    expect(res.headers.get('preference-applied')).toBe('respond-async')
    expect(await res.json()).toMatchObject({ object: 'image.job', status: 'queued' })
    expect(s.fake.calls).toEqual([])
    const pending = await getJob(s, key, location)
    expect(pending.status).toBe(202)
    expect(await pending.json()).toMatchObject({ status: 'queued' })
    expect((await runJobs(s)).explicitAcks).toHaveLength(1)
    expect(s.fake.calls).toHaveLength(1)
    const done = await getJob(s, key, location)
    expect(done.status).toBe(200)
    const answer = await done.text()
    const sync = await gen(key, { prompt: 'a slow picture' }, {}, s.env)
    expect(sync.headers.get('x-cache')).toBe('HIT')
    expect(answer).toBe(await sync.text())
    expect(JSON.parse(answer).data[0].b64_json).toBeTruthy()
  })

  it('answers in the request’s response_format, and completes at once from the cache', async () => {
    const s = setup()
    const { key } = await createKey({ name: 'server', kind: 'secret' }, s.env)
    await (await gen(key, { prompt: 'cached', response_format: 'url' }, {}, s.env)).arrayBuffer()
    await settled()
    const res = await gen(key, { prompt: 'cached', response_format: 'url' }, ASYNC, s.env)
    expect(await res.json()).toMatchObject({ status: 'completed' })
    expect(s.runs.bodies).toEqual([])
    const done = await getJob(s, key, res.headers.get('location') as string)
    const body = (await done.json()) as { data: { url: string }[] }
    expect(body.data[0]?.url).toMatch(/^https:\/\/gateway\.test\/v1\/images\//)
    expect(s.fake.calls).toHaveLength(1)
  })

  it('answers a failed job with the error the synchronous request would have had', async () => {
    const s = setup()
    s.fake.reply(
      errorReply(400, { code: 'moderation_blocked', type: 'image_generation_user_error' }),
    )
    const { key } = await createKey({ name: 'server', kind: 'secret' }, s.env)
    const res = await gen(key, { prompt: 'blocked' }, ASYNC, s.env)
    await runJobs(s)
    const failed = await getJob(s, key, res.headers.get('location') as string)
    expect(failed.status).toBe(400)
    expect((await errorOf(failed)).code).toBe('moderation_blocked')
    expect(await storedKeys('manifests/')).toEqual([])
  })

  it('streams the job’s events with ids, live, and resumes after Last-Event-ID', async () => {
    const s = setup()
    const { key } = await createKey({ name: 'server', kind: 'secret' }, s.env)
    const res = await gen(key, { prompt: 'watched' }, ASYNC, s.env)
    const location = res.headers.get('location') as string
    const sse = { accept: 'text/event-stream' }
    const live = watchEvents(await getJob(s, key, location, sse))
    await live.seen(1)
    await runJobs(s)
    const events = await live.all
    expect(events.map((e) => [e.id, e.event])).toEqual([
      ['1', 'job.queued'],
      ['2', 'job.in_progress'],
      ['3', 'job.completed'],
    ])
    expect(JSON.parse(events[2]?.data as string)).toMatchObject({ status: 'completed' })
    const resumed = await readEvents(
      await getJob(s, key, location, { ...sse, 'last-event-id': '2' }),
    )
    expect(resumed.map((e) => e.id)).toEqual(['3'])
  })

  it('answers a stream: true job with the synchronous SSE; its events are at /events', async () => {
    const s = setup()
    const { key } = await createKey({ name: 'server', kind: 'secret' }, s.env)
    const body = { prompt: 'a streamed picture', stream: true }
    const res = await gen(key, body, ASYNC, s.env)
    expect(res.status).toBe(202)
    const location = res.headers.get('location') as string
    const sse = { accept: 'text/event-stream' }
    // Not done: its status, whatever the caller accepts (its answer will be SSE itself).
    expect((await getJob(s, key, location, sse)).status).toBe(202)
    await runJobs(s)
    const done = await getJob(s, key, location, sse)
    expect(done.status).toBe(200)
    expect(done.headers.get('content-type')).toContain('text/event-stream')
    const answer = await done.text()
    const sync = await gen(key, body, {}, s.env)
    expect(sync.headers.get('x-cache')).toBe('HIT')
    expect(answer).toBe(await sync.text())
    const frames = await readEvents(await getJob(s, key, location))
    expect(frames.map((e) => e.event)).toEqual(['image_generation.completed'])
    const events = await readEvents(await getJob(s, key, `${location}/events`))
    expect(events.map((e) => [e.id, e.event])).toEqual([
      ['1', 'job.queued'],
      ['2', 'job.in_progress'],
      ['3', 'job.completed'],
    ])
    const resumed = await getJob(s, key, `${location}/events`, { 'last-event-id': '2' })
    expect((await readEvents(resumed)).map((e) => e.id)).toEqual(['3'])
  })

  it('shows a job only to its key, refuses callers without one, and announces its end', async () => {
    const s = setup()
    const hook = 'http://hooks.receiver.test/jobs'
    const owner = await createKey({ name: 'owner', kind: 'secret', webhook_url: hook }, s.env)
    const other = await createKey({ name: 'other', kind: 'secret' }, s.env)
    const res = await gen(owner.key, { prompt: 'private' }, ASYNC, s.env)
    const location = res.headers.get('location') as string
    expect((await getJob(s, other.key, location)).status).toBe(404)
    expect((await getJob(s, owner.key, '/v1/images/jobs/job_nope')).status).toBe(404)
    await runJobs(s)
    expect(s.webhooks.take()).toMatchObject([{ type: 'image.job.completed', url: hook }])
    const demo = await callGateway('/v1/images/generations', {
      env: { ...ENVS.demo, JOB_RUNS: s.runs.asQueue },
      body: { prompt: 'anonymous' },
      headers: ASYNC,
    })
    expect(demo.status).toBe(403)
    expect((await errorOf(demo)).code).toBe('key_required')
    expect(s.runs.bodies).toEqual([])
  })

  it('tries a job again when the upstream fails, and fails one the queue dead-lettered', async () => {
    const s = setup()
    s.fake.reply(errorReply(500, {}), errorReply(500, {}))
    const { key } = await createKey({ name: 'server', kind: 'secret' }, s.env)
    const res = await gen(key, { prompt: 'flaky' }, ASYNC, s.env)
    const [message] = s.runs.take()
    expect((await deliver(QUEUE_NAMES.jobs, [message], s.env, 1)).retryMessages).toHaveLength(1)
    const location = res.headers.get('location') as string
    expect(await (await getJob(s, key, location)).json()).toMatchObject({ status: 'in_progress' })
    expect((await deliver(QUEUE_NAMES.jobs, [message], s.env, 2)).explicitAcks).toHaveLength(1)
    expect((await getJob(s, key, location)).status).toBe(200)
    const lost = await gen(key, { prompt: 'lost' }, ASYNC, s.env)
    await deliver(QUEUE_NAMES.deadLetters, s.runs.take(), s.env)
    const failed = await getJob(s, key, lost.headers.get('location') as string)
    expect(failed.status).toBe(500)
  })

  it('runs an edit asynchronously from its stored pictures, and lets go of them', async () => {
    const s = setup()
    const body = form([
      ['prompt', 'make it blue'],
      ['image', file(png())],
    ])
    const res = await postEdit(body, { env: s.env, headers: ASYNC })
    expect(res.status).toBe(202)
    expect(await storedKeys('inputs/')).toHaveLength(1)
    await runJobs(s)
    expect(s.fake.calls).toHaveLength(1)
    expect(s.fake.calls[0]?.files).toHaveLength(1)
    const done = await getJob(s, CLIENT_KEY, res.headers.get('location') as string)
    expect(done.status).toBe(200)
    await done.arrayBuffer()
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
