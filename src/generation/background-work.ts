/**
 * An owner's work that outlives the answers (storing a result, cleaning up after its readers):
 * kept alive with waitUntil, and known, so that whoever stops the owner can wait for it.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>()

  constructor(private readonly keepAlive: (work: Promise<void>) => void) {}

  add(work: Promise<void>): void {
    this.running.add(work)
    work.finally(() => this.running.delete(work))
    this.keepAlive(work)
  }

  /** Resolves once no work runs, including work added while waiting. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }
}
