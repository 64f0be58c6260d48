import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqttPacket from 'mqtt-packet'
import { bridgeSettings, startBridgedBroker, untilBridge } from '../../helpers/bridged-brokers.js'
import { startBroker } from '../../helpers/broker.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { tcpProxy } from '../../helpers/tcp-proxy.js'

// The bridge's client does not put its ping off for each packet from the remote (mqtt.js's way, costly per
// PUBACK); the out link does, once a turn. Either way a link whose remote keeps acknowledging sends no PINGREQ.

test('keepalive: acknowledgements from the remote put the ping off; an idle link still pings every keepalive', async (t) => {
  const cloud = await startBroker()
  t.after(() => cloud.close())
  const pings: number[] = []
  const url = await tcpProxy(t, cloud.port, ({ client, upstream }) => {
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on('packet', (packet) => {
      if (packet.cmd === 'pingreq') pings.push(Date.now())
    })
    client.on('data', (chunk: Buffer) => parser.parse(chunk))
    client.pipe(upstream).pipe(client)
  })
  const bridge = bridgeSettings('cloud', url, [{ pattern: 'readings/#', direction: 'out', qos: 1 }], { keepalive: 1 })
  const site = await startBridgedBroker(t, [bridge], 'site')
  await untilBridge(site.broker, 'cloud')
  const sensor = await mqttClient(t, site.url)
  const busyFrom = Date.now()
  while (Date.now() - busyFrom < 2500) {
    await sensor.publishAsync('readings/t1', '21.5', { qos: 1 })
    await sleep(50)
  }
  assert.deepEqual(
    pings.filter((at) => at >= busyFrom),
    [],
    'no PINGREQ while the remote acknowledged a message every 50 ms'
  )
  const idleFrom = Date.now()
  await sleep(2500)
  assert.ok(pings.filter((at) => at >= idleFrom).length >= 1, 'a PINGREQ within 2.5 s of an idle link with keepalive 1 s')
})
