/**
 * The gateway worker: assembles routes and middleware. No logic lives here.
 */
import { timing } from 'hono/timing'
import { cors } from './access/cors'
import type { Bindings } from './env'
import { fail, handleError } from './errors'
import { observe } from './observability'
import { admin } from './routes/admin'
import { adminLog } from './routes/admin-log'
import { adminUpstreams } from './routes/admin-upstreams'
import { adminWebhooks } from './routes/admin-webhooks'
import { batches } from './routes/batches'
import { edits } from './routes/edits'
import { embed } from './routes/embed'
import { embedSign } from './routes/embed-sign'
import { imageFiles } from './routes/image-files'
import { images } from './routes/images'
import { jobs } from './routes/jobs'
import { models } from './routes/models'
import { openApiRouter, serveDocument } from './routes/openapi'
import { handleQueue } from './routes/queue-handler'
import { serveSharedScripts } from './routes/shared-scripts'
import { usage } from './routes/usage'
import { scheduled } from './scheduled'
import { loadSettings } from './settings'

const app = openApiRouter()

serveSharedScripts(app)
app.use(observe)
// Server-Timing on every answer: where the time went (auth, cache, R2, the owner), for devtools.
app.use(timing())
app.use(loadSettings)
app.use('/v1/*', cors)
app.route('/v1', admin)
app.route('/v1', adminWebhooks)
app.route('/v1', adminLog)
app.route('/v1', adminUpstreams)
app.route('/v1', usage)
app.route('/v1', models)
app.route('/v1/images', images)
app.route('/v1/images', edits)
app.route('/v1/images', embed)
app.route('/v1/images', embedSign)
app.route('/v1/images', batches)
app.route('/v1/images', jobs)
for (const path of ['/v1/images/generations', '/v1/images/edits'])
  app.all(path, (c) => fail({ kind: 'method_not_allowed', method: c.req.method }))
app.route('/v1/images', imageFiles)
serveDocument(app)
app.notFound((c) =>
  fail({ kind: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` }),
)
app.onError(handleError)

export { app }
export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled,
} satisfies ExportedHandler<Bindings>
export { KeyIndex } from './access/key-index'
export { BatchRecord } from './background/batches/batch-record'
export { JobRecord } from './background/jobs/job-record'
export { WebhookFailureLog } from './background/webhooks/failure-log-object'
export { AccessLedger } from './billing/ledger'
export { GenerationCoordinator } from './generation/coordinator'
export { UpstreamPool } from './pool/upstream-pool'
