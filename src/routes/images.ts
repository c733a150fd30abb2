/**
 * POST /v1/images/generations: authenticate, validate, authorize, obtain the result (cache or
 * the one generation for this picture), answer. Reads top to bottom like the request's way
 * through the gateway (DESIGN.md).
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import { wantsFreshResult } from '../cache/settings'
import type { AppEnv } from '../env'
import { imageRequestSchema, normalize } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { answer } from './answer'
import { obtainResult } from './obtain'
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
    authorize(c.env, c.get('principal'), request)
    const replace = wantsFreshResult(c.req.header('cache-control'))
    const { events, ...options } = await obtainResult(c, input, request, replace)
    return answer(c, request, events, options)
  },
)
