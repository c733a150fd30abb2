/** What the admin API reads: a new key's fields, an amount to credit, and a key's id. */
import { z } from 'zod'
import { MODEL_IDS, QUALITIES } from '../models'
import { MAX_IMAGES } from '../result/limits'

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}, 'must be an exact origin such as https://example.com (scheme, host and port only)')

/** The most one admin call may put on a key, so no amount overflows into "unlimited". */
export const MAX_AMOUNT_USD = 1_000_000
const amount = (description: string) =>
  z
    .number()
    .max(MAX_AMOUNT_USD)
    .meta({ description: `${description} At most 1,000,000.` })

export const newKeySchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    kind: z.enum(['secret', 'publishable']),
    origins: z.array(origin).optional().meta({
      description: 'Exact origins it may be used from; a publishable key needs at least one.',
    }),
    balance_usd: amount('Starting balance in US dollars; unset: unlimited.').min(0).optional(),
    rate_limit_per_minute: z.int().min(1).optional(),
    client_rate_limit_per_minute: z.int().min(1).optional().meta({
      description:
        'Publishable keys: requests per minute from each client (an IPv4 address, an IPv6 /64) within the key’s own limit, so one client cannot use up the site’s window; unset: PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE.',
    }),
    webhook_url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .meta({
        description:
          "Where this key's batches and async jobs announce their end (signed with the `webhook_secret` the answer shows once) unless they name their own. https on a public host, or a host in WEBHOOK_URL_HOSTS.",
      }),
    cache_scope: z.enum(['shared', 'key']).optional().meta({
      description:
        "'shared' (default): identical requests from any caller share results, so a caller can tell that a prompt was asked before. 'key': this key's results are its own.",
    }),
    permissions: z
      .strictObject({
        models: z.array(z.enum(MODEL_IDS)).min(1).optional(),
        max_n: z.int().min(1).max(MAX_IMAGES).optional(),
        max_size: z
          .string()
          .regex(/^\d+x\d+$/)
          .optional(),
        max_quality: z
          .enum(QUALITIES.filter((q) => q !== 'auto') as ['low', 'medium', 'high'])
          .optional(),
        regenerate: z.boolean().optional().meta({
          description:
            'May force a fresh, paid generation with `Cache-Control: no-cache` (secret keys only).',
        }),
      })
      .optional(),
  })
  .refine((key) => key.kind === 'secret' || (key.origins?.length ?? 0) > 0, {
    path: ['origins'],
    message: 'A publishable key needs at least one origin it may be used from.',
    params: { code: 'missing_required_parameter' },
  })
  .refine((key) => key.kind === 'publishable' || key.client_rate_limit_per_minute === undefined, {
    path: ['client_rate_limit_per_minute'],
    message:
      'Only a publishable key has a limit per client; a secret key’s clients are behind its server.',
    params: { code: 'invalid_value' },
  })
  .refine((key) => key.kind === 'secret' || !key.permissions?.regenerate, {
    path: ['permissions', 'regenerate'],
    message: 'Only a secret key may force paid regenerations; a publishable key sits in a page.',
    params: { code: 'invalid_value' },
  })

export const creditSchema = z.strictObject({ amount_usd: amount('US dollars to add.').positive() })

export const keyParam = z.object({
  id: z.string().meta({ description: 'The key’s id (`key_…`).' }),
})
