import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { makeTestPki, pem } from '../../helpers/tls-certs.js'

test('thermopost broker --ws-port 0 logs its ws:// URL and MQTT over it reaches TCP clients', async (t) => {
  const {
    urls: [mqtt, ws]
  } = await startCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--store', 'memory'], 2)
  assert.match(ws!, /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
  const urls = { mqtt: mqtt!, ws: ws! }
  const overTcp = await connectClient(t, urls.mqtt, { clientId: 'tcp-side' })
  await overTcp.client.subscribeAsync('bridge/#', { qos: 1 })
  const overWs = await connectClient(t, urls.ws, { clientId: 'ws-side', protocolVersion: 5 })
  await overWs.client.publishAsync('bridge/x', 'from ws', { qos: 1 })
  const [received] = await overTcp.inbox.take(1)
  assert.equal(`${received.topic}=${received.payload.toString()}`, 'bridge/x=from ws')
})

test('thermopost broker --wss-port 0 with --cert and --key serves MQTT over wss next to plain TCP, with no mqtts listener', async (t) => {
  const pki = makeTestPki()
  t.after(() => pki.remove())
  const { urls, output } = await startCliBroker(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--wss-port', '0', '--cert', pki.server.cert, '--key', pki.server.key, '--store', 'memory'],
    2
  )
  assert.deepEqual(
    urls.map((url) => url.split(':')[0]),
    ['mqtt', 'wss']
  )
  assert.doesNotMatch(output(), /mqtts:\/\//)
  const secure = await mqttClient(t, urls[1]!, { ca: pem(pki.ca), servername: 'localhost' })
  const plain = await mqttClient(t, urls[0]!)
  await secure.subscribeAsync('wss-cli/t', { qos: 1 })
  const received = new Promise<string>((resolve) => secure.once('message', (_topic, payload) => resolve(payload.toString())))
  await plain.publishAsync('wss-cli/t', 'tcp to wss', { qos: 1 })
  assert.equal(await received, 'tcp to wss')
})

test('thermopost broker --wss-port without --cert and --key stops with exit 2, naming what is missing', async (t) => {
  const result = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--port', '0', '--wss-port', '0', '--store', 'memory'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /--wss-port needs cert and key/)
})
