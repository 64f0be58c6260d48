import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Broker } from '../../../broker/broker.js'
import { bridgeSettings, capturedLog, startBridgedBroker, untilBridge } from '../../helpers/bridged-brokers.js'
import { freePort } from '../../helpers/free-port.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'

// The remote's addresses: a list is gone through in turn, and a WebSocket address works as a TCP one does.

test('an address list: the bridge fails over from an address nobody answers to the next one, and says so', async (t) => {
  const cloud = new Broker()
  t.after(() => cloud.close())
  const { port } = await cloud.listen({ host: '127.0.0.1', port: 0 })
  const dead = `mqtt://127.0.0.1:${await freePort()}`
  const alive = `mqtt://127.0.0.1:${port}`
  const { logger, lines } = capturedLog()
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', [dead, alive], [{ pattern: 'x/#', direction: 'out' }])], 'site', {
    logger
  })
  await untilBridge(site.broker, 'cloud')
  assert.ok(
    lines.some((line) => line.startsWith(`bridge cloud: cannot connect to ${dead}: `) && line.includes(`; trying ${alive} in `)),
    lines.join('\n')
  )
  assert.ok(lines.includes(`bridge cloud: connected to ${alive}`), lines.join('\n'))
})

test('a ws:// address: the bridge forwards over MQTT over WebSocket', async (t) => {
  const cloud = new Broker()
  t.after(() => cloud.close())
  const { port } = await cloud.listen({ protocol: 'ws', host: '127.0.0.1', port: 0, path: '/mqtt' })
  const site = await startBridgedBroker(
    t,
    [bridgeSettings('cloud', `ws://127.0.0.1:${port}/mqtt`, [{ pattern: 'x/#', direction: 'out' }])],
    'site'
  )
  await untilBridge(site.broker, 'cloud')
  const watcher = await mqttClient(t, `ws://127.0.0.1:${port}/mqtt`)
  const inbox = new Inbox(watcher)
  await watcher.subscribeAsync('x/#', { qos: 1 })
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('x/1', 'over ws', { qos: 1 })
  assert.equal((await inbox.takeOne()).payload.toString(), 'over ws')
})
