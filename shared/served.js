// The shared modules as text, so the worker serves the page the very files it runs itself.
// A text import: wrangler's esbuild reads it natively; vitest through a plugin (vitest.config.ts).
import embedFields from './embed-fields.js' with { type: 'text' }
import sizeRules from './size-rules.js' with { type: 'text' }

/** Each shared module's text by the path the page and third-party pages load it from. */
export const SHARED_SCRIPTS = { '/embed-fields.js': embedFields, '/size-rules.js': sizeRules }
