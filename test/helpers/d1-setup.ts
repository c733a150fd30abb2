/**
 * Before every test: the request log's D1 schema, made again when the last clean-up's `reset()`
 * dropped it (D1's tables go with the rest of storage).
 */
import { beforeEach } from 'vitest'
import { ensureSchema } from './storage'

beforeEach(ensureSchema)
