/**
 * The shapes an answer can take, chosen from the request: SSE (with base64 or with URLs in its
 * completed events), OpenAI's base64 JSON, our URL JSON, or an embed's redirect to the image.
 */

export type AnswerShape = 'sse' | 'sse-url' | 'json' | 'json-url' | 'redirect'

export function shapeOf(request: {
  stream: boolean
  response_format: 'b64_json' | 'url'
}): AnswerShape {
  if (request.stream) return request.response_format === 'url' ? 'sse-url' : 'sse'
  return request.response_format === 'url' ? 'json-url' : 'json'
}
