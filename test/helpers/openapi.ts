/** The gateway's OpenAPI document as a client fetches it, typed as far as a test reads it. */
import { callGateway, fakeUpstream } from './gateway'

export async function openApiDocument<Doc>(): Promise<Doc> {
  fakeUpstream()
  return (await (await callGateway('/openapi.json')).json()) as Doc
}
