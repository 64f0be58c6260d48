import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { allowAll } from '../../../broker/auth/hooks.js'
import { Broker } from '../../../broker/broker.js'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { bridgeSettings, capturedLog, startBridgedBroker, until, untilBridge } from '../../helpers/bridged-brokers.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { startTlsBroker } from '../../helpers/tls-broker.js'
import { makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'

// A remote that refuses the bridge — its login or its certificate — gets a log line that says why, and the bridge
// keeps trying until the remote lets it in.

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

test('a remote that refuses the login: a clear log line on each attempt, and the bridge gets in once it is let in', async (t) => {
  let refusing = true
  const remote = new Broker({}, { auth: { ...allowAll, authenticate: () => (refusing ? Reason.BadUsernameOrPassword : Reason.Success) } })
  t.after(() => remote.close())
  const cloud = { url: `mqtt://127.0.0.1:${(await remote.listen({ host: '127.0.0.1', port: 0 })).port}` }
  const { logger, lines } = capturedLog()
  const settings = bridgeSettings('cloud', cloud.url, [{ pattern: 'readings/#', direction: 'out' }], {
    username: 'site',
    password: 'wrong'
  })
  const site = await startBridgedBroker(t, [settings], 'site', { logger })
  const refusal = `bridge cloud: cannot connect to ${cloud.url}: the remote refused the connection`
  await until('two refused attempts logged', () => lines.filter((line) => line.startsWith(refusal)).length >= 2)
  assert.match(lines.find((line) => line.startsWith(refusal))!, /reason code 0x86/)
  refusing = false
  await untilBridge(site.broker, 'cloud')
})

test('a remote whose certificate does not verify is refused, with the reason; with its CA in cafile the bridge forwards over TLS', async (t) => {
  const tls = { cert: pki.server.cert, key: pki.server.key }
  const cloud = await startTlsBroker(t, tls)
  const url = `mqtts://localhost:${cloud.port}`
  const topics = [{ pattern: 'readings/#', direction: 'out' as const }]
  const untrusting = capturedLog()
  const noCa = await startBridgedBroker(t, [bridgeSettings('cloud', url, topics)], 'site', { logger: untrusting.logger })
  await until(
    'an untrusted certificate logged twice',
    () => untrusting.lines.filter((line) => line.includes("the remote's certificate is not trusted")).length >= 2
  )
  assert.equal(noCa.broker.bridges!.states().get('cloud')!.connected, false)

  const trusting = bridgeSettings('cloud', url, topics, {
    clientId: `tls-site-${process.pid}`,
    tls: { ca: pem(pki.ca), cert: undefined, key: undefined, insecure: false }
  })
  const site = await startBridgedBroker(t, [trusting], 'site')
  await untilBridge(site.broker, 'cloud')
  const watcher = await mqttClient(t, cloud.url, { ca: pem(pki.ca), servername: 'localhost' })
  const inbox = new Inbox(watcher)
  await watcher.subscribeAsync('readings/#', { qos: 1 })
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', '20.5', { qos: 1 })
  assert.equal((await inbox.takeOne()).payload.toString(), '20.5')
})

test('insecure: true lets the bridge in past a certificate it cannot verify', async (t) => {
  const cloud = await startTlsBroker(t, { cert: pki.server.cert, key: pki.server.key }, { auth: allowAll })
  const settings = bridgeSettings('cloud', `mqtts://localhost:${cloud.port}`, [{ pattern: 'x/#', direction: 'out' }], {
    tls: { ca: undefined, cert: undefined, key: undefined, insecure: true }
  })
  const site = await startBridgedBroker(t, [settings], 'site')
  await untilBridge(site.broker, 'cloud')
})
