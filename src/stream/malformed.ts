/** An upstream body that is not what the Images API sends: no retry can help, nothing is kept. */
export class MalformedBodyError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'MalformedBodyError'
  }
}
