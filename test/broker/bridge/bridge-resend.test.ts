import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Packet } from 'mqtt-packet'
import { bridgeSettings, startBridgedBroker, until } from '../../helpers/bridged-brokers.js'
import { type RemoteConnection, scriptedRemote } from '../../helpers/scripted-remote.js'
import { mqttClient } from '../../helpers/session-clients.js'

// A QoS 2 message in flight when the link drops is sent again with DUP and its first packet id, so a remote that
// kept our session recognises it [MQTT-4.3.3-10] rather than delivering it twice.

/**
 * A remote that accepts every CONNECT; the first connection acknowledges nothing and is cut after its first PUBLISH,
 * later ones run the QoS 2 exchange.
 */
function forgetful(packet: Packet, { number, send, socket }: RemoteConnection): void {
  if (packet.cmd === 'connect') send({ cmd: 'connack', sessionPresent: number > 1, reasonCode: 0 })
  if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' })
  if (packet.cmd === 'publish') {
    if (number === 1) socket.destroy()
    else send({ cmd: 'pubrec', messageId: packet.messageId! })
  }
  if (packet.cmd === 'pubrel') send({ cmd: 'pubcomp', messageId: packet.messageId })
}

test('a QoS 2 message cut off by a lost link goes again with DUP and the packet id it had', async (t) => {
  const remote = await scriptedRemote(t, forgetful)
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', remote.url, [{ pattern: 'cmd/#', direction: 'out', qos: 2 }])], 'site')
  await until('the bridge connected', () => site.broker.bridges!.states().get('cloud')!.connected)
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('cmd/valve', 'close', { qos: 2 })
  await until('sent on two connections', () => remote.publishes.length >= 2)
  await until('completed', () => site.broker.bridges!.states().get('cloud')!.forwardedOut === 1)
  const [first, again] = remote.publishes
  assert.equal(first!.connection, 1)
  assert.equal(again!.connection, 2)
  assert.equal(first!.packet.dup, false)
  assert.equal(again!.packet.dup, true)
  assert.equal(again!.packet.messageId, first!.packet.messageId)
  assert.equal(again!.packet.payload.toString(), 'close')
})
