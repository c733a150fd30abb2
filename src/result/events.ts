/**
 * What kind of request a result answers, and the names its stream events carry: OpenAI names a
 * generation's events `image_generation.*` and an edit's `image_edit.*`, with the same shapes.
 */

export type ImageKind = 'generation' | 'edit'

const PREFIX = { generation: 'image_generation', edit: 'image_edit' } as const

export const partialImageEvent = (kind: ImageKind) => `${PREFIX[kind]}.partial_image`
export const completedEvent = (kind: ImageKind) => `${PREFIX[kind]}.completed`

/** Every stream event that carries a finished image. */
export const COMPLETED_EVENTS: readonly string[] = [
  completedEvent('generation'),
  completedEvent('edit'),
]
