import assert from 'node:assert/strict'
import type { RawClient } from './raw-client.js'

/** Waiting, and making sure that nothing happened meanwhile: the one `sleep` and quiet period of the tests. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** How long a test waits to be sure that something does NOT arrive. */
export const QUIET_MS = 300

/** Asserts that the raw client receives nothing within `ms` and is still connected afterwards. */
export async function expectSilence(client: RawClient, ms = QUIET_MS): Promise<void> {
  await sleep(ms)
  assert.deepEqual(
    client.pending().map((p) => p.cmd),
    [],
    `no packet expected within ${ms} ms`
  )
  assert.equal(client.isClosed, false, 'the connection must stay open')
}
