import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bridgeSettings, startBridgedBroker, until } from '../../helpers/bridged-brokers.js'
import { scriptedRemote } from '../../helpers/scripted-remote.js'
import { mqttClient } from '../../helpers/session-clients.js'

// With clean_start the bridge's client gives up what is in flight when its connection ends (mqtt.js calls each
// callback with "Connection closed"): that is no refusal by the remote, and the message goes again on the next link.

test('clean start: a QoS 1 message in flight when the link times out is sent again, not counted as refused', async (t) => {
  const { url, publishes } = await scriptedRemote(t, (packet, { number, send }) => {
    if (packet.cmd === 'connect') send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 })
    // The first connection goes silent: no PINGRESP, no PUBACK, until the bridge's keepalive gives up on it.
    if (number === 1) return
    if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' })
    if (packet.cmd === 'publish') send({ cmd: 'puback', messageId: packet.messageId!, reasonCode: 0 })
  })
  const settings = bridgeSettings('cloud', url, [{ pattern: 'readings/#', direction: 'out', qos: 1 }], {
    cleanStart: true,
    keepalive: 1
  })
  const site = await startBridgedBroker(t, [settings], 'site')
  const state = site.broker.bridges!.states().get('cloud')!
  await until('the bridge connected', () => state.connected)
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', '21.5', { qos: 1 })
  await until('acknowledged on the second connection', () => state.forwardedOut === 1, 10_000)
  assert.deepEqual(
    publishes.map(({ connection, packet }) => [connection, packet.payload.toString()]),
    [
      [1, '21.5'],
      [2, '21.5']
    ]
  )
  assert.deepEqual(state.droppedBy, { queue_full: 0, refused: 0, loop: 0 })
})
