import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { startBrokerProcess, tempDir } from '../../helpers/crash-broker.js'
import { freePort } from '../../helpers/free-port.js'
import { startHaproxy } from '../../helpers/haproxy.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'

/**
 * Two nodes behind Debian's HAProxy, set up as the README shows, the one address a device knows. A device with a
 * persistent session lands on node-1; node-1 is killed with SIGKILL while another client keeps publishing QoS 1
 * messages on node-2. The device reconnects through the same address, gets its session back on node-2, and
 * every message the cluster acknowledged reaches it.
 */
test('a device behind HAProxy whose node dies resumes its session through the same address', { timeout: 120_000 }, async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const dir = tempDir(t, 'thermopost-haproxy-')
  const node = (name: string, port: number) =>
    startBrokerProcess(t, { dataDir: join(dir, name), port, extra: ['--cluster', redis.url, '--node-id', name] })
  const secondPort = await freePort()
  const first = await node('node-1', 0)
  const proxy = await startHaproxy([first.port, secondPort])
  t.after(() => proxy.stop())

  // node-2 is not up yet, so HAProxy can only send the device to node-1.
  const device = mqtt.connect(proxy.url, {
    clientId: 'ha-device',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 300,
    connectTimeout: 3000,
    // A device that subscribed again on every reconnect would hide a lost session.
    resubscribe: false
  })
  t.after(() => device.end(true))
  device.on('error', () => {})
  await new Promise((resolve) => device.once('connect', resolve))
  await device.subscribeAsync('ha/#', { qos: 1 })
  const received = new Set<number>()
  device.on('message', (_topic, payload) => received.add(Number(payload.toString())))

  const second = await node('node-2', secondPort)
  await sleep(1500) // two health checks: node-2 is in the rotation

  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${secondPort}`, { clientId: 'ha-publisher', reconnectPeriod: 0 })
  t.after(() => publisher.end(true))
  const acknowledged: number[] = []
  let publishing = true
  const publishing$ = (async () => {
    for (let seq = 1; publishing; seq++) {
      await publisher.publishAsync('ha/reading', String(seq), { qos: 1 })
      acknowledged.push(seq)
      await sleep(5)
    }
  })()

  await sleep(500)
  let resumed = false
  let freshSessions = 0
  device.on('connect', (connack) => {
    resumed = connack.sessionPresent
    if (!resumed) freshSessions++
  })
  await first.kill('SIGKILL')
  const deadline = Date.now() + 30_000
  while (!resumed) {
    assert.equal(freshSessions, 0, `the device came back to a new session (Session Present 0)\n--- node-2\n${second.output().slice(-4000)}`)
    assert.ok(
      Date.now() < deadline,
      `the device got its session back through ${proxy.url} within 30 s\n--- node-1\n${first.output().slice(-2000)}\n--- node-2\n${second.output().slice(-4000)}`
    )
    await sleep(100)
  }
  await sleep(500)
  publishing = false
  await publishing$
  const drained = Date.now() + 10_000
  while (acknowledged.some((seq) => !received.has(seq)) && Date.now() < drained) await sleep(50)
  const missing = acknowledged.filter((seq) => !received.has(seq))
  assert.ok(acknowledged.length > 50, `the publisher kept going through the failover (${acknowledged.length} acknowledged)`)
  assert.deepEqual(missing, [], `every acknowledged message reached the device\n--- node-2\n${second.output().slice(-4000)}`)
})
