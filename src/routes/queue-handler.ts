/**
 * The worker's `queue()`: each batch of messages goes to its queue's consumer (batch items, webhook
 * deliveries, dead letters), given the bindings, the settings and the gateway core it needs.
 */
import { webhookSecretsOf } from '../access/owner'
import { handleItemBatch } from '../background/batches/item-consumer'
import { batchRecord } from '../background/batches/record-api'
import { handleDeadLetters } from '../background/dead-letters'
import { endJob, handleJobBatch } from '../background/jobs/job-consumer'
import { jobRecord } from '../background/jobs/record-api'
import { routeQueueBatch } from '../background/queues'
import { handleWebhookBatch } from '../background/webhooks/consumer'
import { durableFailureLog } from '../background/webhooks/failure-log-object'
import type { WebhookMessage } from '../background/webhooks/message'
import { releaseInputs } from '../cache/inputs'
import type { Bindings } from '../env'
import { gatewayBatchCore } from '../gateway/batch-item'
import { gatewayJobRunner } from '../gateway/job-run'
import { settingsOf } from '../settings'

export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  // A misconfigured environment throws here: the whole batch is retried once it is fixed.
  const settings = settingsOf(env)
  const waitUntil = (work: Promise<unknown>) => ctx.waitUntil(work)
  const batches = (id: string) => batchRecord(env.BATCHES, id)
  const notify = async (message: WebhookMessage) => {
    await env.WEBHOOKS.send(message, { contentType: 'json' })
  }
  const webhookLog = durableFailureLog(env.WEBHOOK_FAILURES)
  const release = (objects: readonly string[]) =>
    releaseInputs(env.IMAGES, { objects, keep: false }, false)
  await routeQueueBatch(batch, {
    batchItems: (items) =>
      handleItemBatch(items, {
        core: gatewayBatchCore({ env, settings, waitUntil }),
        batches,
        notify,
      }),
    jobs: (runs) =>
      handleJobBatch(runs, {
        run: gatewayJobRunner({ env, settings, waitUntil }),
        jobs: (id) => jobRecord(env.JOBS, id),
        notify,
        release,
      }),
    webhooks: (webhooks) =>
      handleWebhookBatch(webhooks, {
        secrets: (keyId) => webhookSecretsOf(env, keyId),
        log: webhookLog,
        hosts: settings.webhookUrlHosts,
        ownHost: null,
      }),
    deadLetters: (letters) =>
      handleDeadLetters(letters, {
        webhookLog,
        batches,
        notify,
        failJob: (job) =>
          endJob(
            jobRecord(env.JOBS, job.jobId),
            job,
            { kind: 'internal' },
            { notify, release },
            false,
          ),
      }),
  })
}
