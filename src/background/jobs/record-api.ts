/**
 * The part of a job's record its runner uses, as an interface: the JobRecord Durable Object
 * through its namespace in the worker, anything shaped like it in tests.
 */
import type { Failure } from '../../failure'
import type { JobChange, JobRecord } from './job-record'
import type { JobResultRef } from './job-view'

export interface JobRecordApi {
  start(): Promise<JobChange>
  complete(result: JobResultRef): Promise<JobChange>
  fail(failure: Failure): Promise<JobChange>
  notified(): Promise<void>
}

/** The record of job `id` (its Durable Object is named by the id). */
export function jobRecord(namespace: DurableObjectNamespace<JobRecord>, id: string): JobRecordApi {
  const stub = namespace.get(namespace.idFromName(id))
  return {
    start: async () => (await stub.start()) as JobChange,
    complete: async (result) => (await stub.complete(result)) as JobChange,
    fail: async (failure) => (await stub.fail(failure)) as JobChange,
    notified: async () => {
      await stub.notified()
    },
  }
}
