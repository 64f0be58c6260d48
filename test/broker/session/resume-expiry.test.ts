import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectRaw } from '../../helpers/flow-clients.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { type StoreKind, startRestartableBroker } from './restartable-broker.js'
import {
  connectProperties,
  type Expiry,
  expectNoPackets,
  expectNothingLeft,
  expectServed,
  leave,
  leavePending,
  pendingStates
} from './resume-scenario.js'

/**
 * The resume rule: a CONNECT with Clean Start 0 resumes the session there is [MQTT-3.1.2-5] and is served what
 * waited in it, whatever Session Expiry Interval it asks for; the new interval only decides what happens when this
 * connection ends (absent or 0: the session ends with it [MQTT-3.1.2-23 applies only above 0]). A session made with
 * expiry 0 ended with its connection, so there is nothing to resume (Session Present 0) [MQTT-3.1.2-4, MQTT-3.2.2-2].
 * Every combination of old expiry × new expiry × store × what is pending; the broker restarts between the second
 * and the third connection, so the third shows what the store kept.
 */

const N = 100
const oldExpiries: readonly number[] = [0, N, 0xffffffff]
const newExpiries: readonly Expiry[] = [undefined, 0, N]
const stores: readonly StoreKind[] = ['memory', 'sqlite']

const expiryText = (expiry: Expiry): string => (expiry === undefined ? 'absent' : expiry === 0xffffffff ? '0xFFFFFFFF' : String(expiry))

for (const store of stores) {
  for (const oldExpiry of oldExpiries) {
    for (const newExpiry of newExpiries) {
      for (const pending of pendingStates) {
        const resumed = oldExpiry > 0
        const kept = newExpiry !== undefined && newExpiry > 0
        const title =
          `${resumed ? '[MQTT-3.1.2-5] [MQTT-3.2.2-3]' : '[MQTT-3.1.2-4] [MQTT-3.2.2-2]'} ${store}, old expiry ${expiryText(oldExpiry)}, ` +
          `new expiry ${expiryText(newExpiry)}, ${pending}: ` +
          `${resumed ? 'Session Present 1 and served' : 'Session Present 0 and nothing pending'}, ` +
          `${kept ? 'the session outlives the connection [MQTT-3.1.2-23]' : 'the session ends with the connection'}`
        test(title, async (t) => {
          const broker = await startRestartableBroker(t, store)
          const clientId = uniqueId('resume')
          const left = await leavePending(t, broker.port, clientId, oldExpiry, pending)

          const second = await connectRaw(t, broker.port, 5, { clientId, clean: false, ...connectProperties(newExpiry) })
          assert.equal(second.connack.sessionPresent, resumed, 'Session Present')
          if (resumed) await expectServed(second, pending, left)
          else await expectNothingLeft(second, pending, left)
          await leave(second)

          await broker.restart()
          const third = await connectRaw(t, broker.port, 5, { clientId, clean: false, ...connectProperties(N) })
          assert.equal(third.connack.sessionPresent, kept, 'Session Present after the second connection ended')
          await expectNoPackets(third)
        })
      }
    }
  }
}
