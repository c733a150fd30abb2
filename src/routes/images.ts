/**
 * POST /v1/images/generations: authenticate, validate, authorize, obtain the answer (cache or
 * the one generation for this picture). Reads top to bottom like the request's way through the
 * gateway (DESIGN.md).
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import { shapeOf } from '../answer/shapes'
import { wantsFreshResult } from '../cache/freshness'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import { imageRequestSchema, normalize } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { obtainAnswer } from './obtain'
import { jsonBody } from './request-body'

export const images = new Hono<AppEnv>()

images.post(
  '/generations',
  requireCaller,
  ...jsonBody,
  zValidator('json', imageRequestSchema, rejectInvalid),
  async (c) => {
    const input = c.req.valid('json')
    const request = normalize(input)
    authorize(c.var.settings, c.get('principal'), request)
    const replace = wantsFreshResult(c.req.header('cache-control'))
    const obtained = await obtainAnswer(c, input, request, shapeOf(request), replace)
    return obtained.kind === 'response' ? obtained.response : fail({ kind: 'internal' })
  },
)
