/** Query values are text: a whole number is read as a number before the field's own rule. */
import { z } from 'zod'

export const wholeNumber = <T extends z.ZodType>(rule: T) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    rule,
  )
