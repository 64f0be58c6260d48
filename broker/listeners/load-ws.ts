import { createRequire } from 'node:module'
import type * as Ws from 'ws'

const require = createRequire(import.meta.url)

/**
 * The ws package, loaded when the first WebSocket listener starts (require caches it): a broker without one does
 * not load it. Measured on an idle broker, leaving out ws and the Sparkplug codec saves about 5 MB of RSS.
 */
export function loadWs(): typeof Ws {
  return require('ws') as typeof Ws
}
