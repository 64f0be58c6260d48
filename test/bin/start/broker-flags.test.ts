import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serviceFriendlyBrokerFlags } from '../../../bin/start/part-specs.js'

test('the all-in-one broker gets a wide window and deep queues for the service, unless the config file sets them', () => {
  assert.deepEqual(serviceFriendlyBrokerFlags({}), [
    '--max-inflight',
    '1000',
    '--max-queued-messages',
    '500000',
    '--max-queued-bytes',
    String(256 * 2 ** 20)
  ])
  assert.deepEqual(serviceFriendlyBrokerFlags({ max_inflight: 50, max_queued_bytes: 1 }), ['--max-queued-messages', '500000'])
})
