/** Reads an answer's OpenAI error envelope, the shape every refusal and failure takes. */

export interface ErrorBody {
  type: string
  code: string | null
  param: string | null
  message: string
}

/** The `error` object of an error answer. */
export async function errorOf(res: Response): Promise<ErrorBody> {
  return ((await res.json()) as { error: ErrorBody }).error
}
