/**
 * Image views gathered in the isolate for a moment and written together: a popular picture's
 * views become one upsert per flush instead of one database write each.
 */
import { countViews, type ImageView } from './writer'

/** How long the first view of a batch waits for others. */
export const VIEW_FLUSH_MS = 250
/** A batch this large is written at once. */
export const MAX_BUFFERED_VIEWS = 1000

export class ViewBuffer {
  private views: ImageView[] = []
  private flushing: Promise<void> | null = null

  constructor(private readonly wait: () => Promise<void> = () => sleep(VIEW_FLUSH_MS)) {}

  /**
   * Counts a view; the write (never rejecting) is kept alive by `waitUntil` of the request that
   * opened the batch. A binding absent records nothing.
   */
  add(db: D1Database | undefined, view: ImageView, waitUntil: (work: Promise<unknown>) => void) {
    if (!db) return
    this.views.push(view)
    if (this.views.length >= MAX_BUFFERED_VIEWS) {
      waitUntil(this.write(db))
      return
    }
    if (this.flushing) return
    this.flushing = this.wait().then(() => this.write(db))
    waitUntil(this.flushing)
  }

  private write(db: D1Database): Promise<void> {
    const views = this.views
    this.views = []
    this.flushing = null
    return countViews(db, views)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The isolate's buffer. */
export const imageViews = new ViewBuffer()
