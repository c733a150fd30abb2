/**
 * Runs before every test file. The files share one runtime and module cache (`isolate: false`),
 * so the harness's clean-up is registered here, once per file, rather than on its first import.
 */
import { afterEach } from 'vitest'
import { afterTest } from './gateway'

afterEach(afterTest)
