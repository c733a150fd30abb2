// The typing of served.js, whose text imports TypeScript cannot type from the modules themselves.

/** Each shared module's text by the path the page and third-party pages load it from. */
export declare const SHARED_SCRIPTS: {
  readonly '/embed-fields.js': string
  readonly '/size-rules.js': string
}
