import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Broker } from '../../../broker/broker.js'
import { bridgeSettings, untilBridge } from '../../helpers/bridged-brokers.js'
import { distinctFreePorts } from '../../helpers/free-port.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'

// Two of our brokers, each bridging the same topics out to the other: a message goes over once and never comes
// back, though each copy returns through a different connection, where No Local cannot see it.

test('two brokers bridged both ways on the same pattern: one copy on each side, no loop', async (t) => {
  const [portA, portB] = await distinctFreePorts(2)
  const toB = bridgeSettings('to-b', `mqtt://127.0.0.1:${portB}`, [{ pattern: 'room/#', direction: 'out' }])
  const toA = bridgeSettings('to-a', `mqtt://127.0.0.1:${portA}`, [{ pattern: 'room/#', direction: 'out' }])
  const a = new Broker({}, { bridges: { settings: [toB], node: 'a' } })
  const b = new Broker({}, { bridges: { settings: [toA], node: 'b' } })
  t.after(() => Promise.all([a.close(), b.close()]))
  await a.listen({ host: '127.0.0.1', port: portA })
  await b.listen({ host: '127.0.0.1', port: portB })
  await untilBridge(a, 'to-b')
  await untilBridge(b, 'to-a')

  const atA = await mqttClient(t, `mqtt://127.0.0.1:${portA}`)
  const atB = await mqttClient(t, `mqtt://127.0.0.1:${portB}`)
  const inboxA = new Inbox(atA)
  const inboxB = new Inbox(atB)
  await atA.subscribeAsync('room/#', { qos: 1 })
  await atB.subscribeAsync('room/#', { qos: 1 })
  await atA.publishAsync('room/1', 'from a', { qos: 1 })
  await atB.publishAsync('room/2', 'from b', { qos: 0 })

  assert.deepEqual((await inboxA.take(2)).map((m) => m.payload.toString()).sort(), ['from a', 'from b'])
  assert.deepEqual((await inboxB.take(2)).map((m) => m.payload.toString()).sort(), ['from a', 'from b'])
  await inboxA.none(800)
  await inboxB.none(0)
  // Each message went out once from each broker: over, back, and turned away at the door of its first broker.
  assert.equal(a.bridges!.states().get('to-b')!.forwardedOut, 2)
  assert.equal(b.bridges!.states().get('to-a')!.forwardedOut, 2)
})
