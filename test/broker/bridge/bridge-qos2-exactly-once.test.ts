import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { bridgeSettings, MosquittoProcess, startBridgedBroker, until, untilBridge } from '../../helpers/bridged-brokers.js'
import { BrokerProcess, tempDir } from '../../helpers/crash-broker.js'
import { cutAtFirst } from '../../helpers/link-cutter.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { endQuietly, mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// A remote QoS 2 message comes in exactly once: the link to the remote is cut just as the bridge sends its PUBREC,
// so the remote (Mosquitto, which keeps the bridge's session) sends the PUBLISH again with DUP and the same id;
// the bridge holds that id in its durable session until the PUBREL and does not publish the copy again.

const remoteCompleted = (mosquitto: MosquittoProcess, clientId: string): boolean =>
  mosquitto.log.includes(`Received PUBCOMP from ${clientId}`)

test('a remote QoS 2 message resent after the link dropped before its PUBREC is published here once', async (t) => {
  const mosquitto = await MosquittoProcess.start(t)
  const proxy = await cutAtFirst(t, mosquitto.port, 'pubrec')
  const settings = bridgeSettings('cloud', proxy.url, [{ pattern: 'commands/#', direction: 'in', qos: 2 }])
  const site = await startBridgedBroker(t, [settings], 'site')
  const device = await mqttClient(t, site.url)
  const inbox = new Inbox(device)
  await device.subscribeAsync('commands/#', { qos: 2 })
  await untilBridge(site.broker, 'cloud')
  await sleep(200) // the bridge's SUBSCRIBE reaches Mosquitto
  const operator = await mqttClient(t, mosquitto.url, { protocolVersion: 4 })
  await operator.publishAsync('commands/t1', 'on', { qos: 2 })
  await proxy.cut
  await until('the remote sent the message again and completed it', () => remoteCompleted(mosquitto, settings.clientId), 5000)
  assert.match(mosquitto.log, new RegExp(`Sending PUBLISH to ${settings.clientId} \\(d1, q2`), 'resent with DUP')
  await sleep(300)
  assert.deepEqual(
    inbox.all.map((message) => message.payload.toString()),
    ['on']
  )
})

test('the site broker killed with SIGKILL after its PUBREC was lost: the resent QoS 2 message is not published again', async (t) => {
  const mosquitto = await MosquittoProcess.start(t)
  const proxy = await cutAtFirst(t, mosquitto.port, 'pubrec')
  const dataDir = tempDir(t, 'thermopost-bridge-qos2-')
  const config = join(dataDir, 'site.yaml')
  const clientId = `qos2-site-${process.pid}`
  writeFileSync(
    config,
    [
      'allow_anonymous: true',
      'bridges:',
      '  - name: cloud',
      `    address: ${proxy.url}`,
      `    client_id: ${clientId}`,
      '    restart_delay: 0.1',
      '    restart_delay_max: 0.3',
      '    topics:',
      '      - { pattern: "commands/#", direction: in, qos: 2 }',
      ''
    ].join('\n')
  )
  const args = { dataDir, extra: ['--config', config] }
  const site = await BrokerProcess.start(args)
  t.after(() => site.kill())
  // A device with a session the site keeps, offline while all this happens.
  const device = { clientId: `device-${process.pid}`, clean: false, properties: { sessionExpiryInterval: 3600 } }
  const first = await mqttClient(t, site.url, device)
  await first.subscribeAsync('commands/#', { qos: 2 })
  await endQuietly(first)
  await until('the bridge subscribed at the remote', () => mosquitto.log.includes(`Received SUBSCRIBE from ${clientId}`), 5000)
  const operator = await mqttClient(t, mosquitto.url, { protocolVersion: 4 })
  await operator.publishAsync('commands/t1', 'on', { qos: 2 })
  await proxy.cut
  await site.kill('SIGKILL')

  const restarted = await BrokerProcess.restart({ ...args, port: site.port })
  t.after(() => restarted.kill())
  await until('the remote sent the message again and completed it', () => remoteCompleted(mosquitto, clientId), 10_000)
  assert.match(mosquitto.log, new RegExp(`Sending PUBLISH to ${clientId} \\(d1, q2`), 'resent with DUP')
  const again = mqtt.connect(restarted.url, { ...device, reconnectPeriod: 0 })
  t.after(() => endQuietly(again))
  const inbox = new Inbox(again)
  await inbox.take(1, 5000)
  await sleep(500)
  assert.deepEqual(
    inbox.all.map((message) => message.payload.toString()),
    ['on']
  )
})
