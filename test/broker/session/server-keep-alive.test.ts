import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { rawSession } from '../../helpers/session-clients.js'

/**
 * max_keepalive: a 5.0 client asking for more than the cap, or for 0 (no keepalive at all), is told the cap as Server
 * Keep Alive in CONNACK and must use it [MQTT-3.2.2-21]; one within the cap gets no such property. 3.1.1 has no way
 * to tell the client: its CONNACK carries nothing, and the broker holds it to 1.5 × the cap all the same.
 */

/** What a 5.0 CONNACK of a broker with default options says, apart from Server Keep Alive. */
const DEFAULT_CONNACK_PROPERTIES = {
  receiveMaximum: 1024,
  maximumPacketSize: 1024 * 1024,
  topicAliasMaximum: 64,
  retainAvailable: true,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
  sharedSubscriptionAvailable: true
}

const cases: Array<[maxKeepalive: number, asked: number, told: number | undefined]> = [
  [30, 60, 30],
  [30, 0, 30],
  [30, 65_535, 30],
  [30, 30, undefined],
  [30, 10, undefined],
  [0, 0, undefined],
  [0, 65_535, undefined]
]

for (const [maxKeepalive, asked, told] of cases) {
  test(`[MQTT-3.2.2-21] 5.0, max_keepalive ${maxKeepalive}, keepalive ${asked}: CONNACK ${told === undefined ? 'has no Server Keep Alive' : `says Server Keep Alive ${told}`}`, async (t) => {
    const broker = await startBroker({ sysInterval: 0, maxKeepalive })
    t.after(() => broker.close())
    const { connack } = await rawSession(t, broker.port, 5, { keepalive: asked })
    const expected = told === undefined ? DEFAULT_CONNACK_PROPERTIES : { ...DEFAULT_CONNACK_PROPERTIES, serverKeepAlive: told }
    assert.deepEqual(connack.properties, expected)
  })
}

test('[MQTT-3.1.2-24] 3.1.1, max_keepalive 1, keepalive 0: CONNACK carries no properties, and the broker closes the silent connection after 1.5 × the cap', async (t) => {
  const broker = await startBroker({ sysInterval: 0, maxKeepalive: 1 })
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 4, { keepalive: 0 })
  assert.deepEqual([connack.returnCode, connack.sessionPresent, connack.properties], [0, false, undefined])
  assert.equal(await client.waitClosed(1000), false, 'still open after 1 s')
  assert.equal(await client.waitClosed(2000), true, 'closed within 3 s')
  assert.deepEqual(
    client.pending().map((packet) => packet.cmd),
    []
  )
})

test("[MQTT-3.1.2-24] 3.1.1, max_keepalive 30, keepalive 1: a keepalive within the cap is the client's own", async (t) => {
  const broker = await startBroker({ sysInterval: 0, maxKeepalive: 30 })
  t.after(() => broker.close())
  const { client } = await rawSession(t, broker.port, 4, { keepalive: 1 })
  assert.equal(await client.waitClosed(1000), false, 'still open after 1 s')
  assert.equal(await client.waitClosed(2000), true, 'closed after 1.5 s of silence, not 45')
})
