import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { MosquittoProcess, until } from '../../helpers/bridged-brokers.js'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { freePort } from '../../helpers/free-port.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// Moving a site's Mosquitto with its bridge: `thermopost broker --mosquitto-conf` on a mosquitto.conf with a
// `connection` section, bridged to a real Mosquitto, forwards out and in with the prefixes and publishes its state.

test('a broker started from a mosquitto.conf with a bridge forwards to and from a Mosquitto', async (t) => {
  const mosquitto = await MosquittoProcess.start(t)
  const dir = await mkdtemp(join(tmpdir(), 'mosquitto-conf-bridge-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const port = await freePort()
  const clientId = `site-7-${process.pid}`
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      '',
      'connection cloud',
      `address 127.0.0.1:${mosquitto.port}`,
      `remote_clientid ${clientId}`,
      'restart_timeout 1 2',
      'topic readings/# out 1 site/ sites/7/',
      'topic commands/# in 1 "" sites/7/',
      ''
    ].join('\n')
  )
  // Converted once, the same bridge is a bridges: entry, each key under its Mosquitto line.
  const converted = await runProgram(t, process.execPath, [thermopostBin, 'convert-mosquitto-conf', conf])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(converted.stdout, new RegExp(`# ${conf}:4: connection cloud\n\\s*- name: cloud\n`))
  assert.match(
    converted.stdout,
    /# .*:9: topic commands\/# in 1 "" sites\/7\/\n\s*- pattern: commands\/#\n\s*direction: in\n\s*qos: 1\n\s*remote_prefix: sites\/7\//
  )
  const site = await startCliBroker(t, ['--mosquitto-conf', conf], 1)
  const atSite = await mqttClient(t, site.urls[0]!)
  const siteInbox = new Inbox(atSite)
  await atSite.subscribeAsync(['$SYS/broker/bridges/cloud/state', 'commands/#'], { qos: 1 })
  await until('the bridge connected', () => siteInbox.all.some((message) => message.payload.toString() === 'connected'), 10_000)
  // Mosquitto's default protocol for a bridge, with the client id the file gives.
  await until('the bridge subscribed at Mosquitto', () => mosquitto.log.includes(`Received SUBSCRIBE from ${clientId}`), 5000)
  assert.match(mosquitto.log, new RegExp(`New client connected from 127\\.0\\.0\\.1:\\d+ as ${clientId} \\(p2, c0, k60\\)`))

  const atCloud = await mqttClient(t, mosquitto.url, { protocolVersion: 4 })
  const cloudInbox = new Inbox(atCloud)
  await atCloud.subscribeAsync('sites/7/readings/#', { qos: 1 })
  await atSite.publishAsync('site/readings/t1', '21.5', { qos: 1 })
  await atCloud.publishAsync('sites/7/commands/t1', 'heat', { qos: 1 })
  const [reading] = await cloudInbox.take(1, 5000)
  assert.deepEqual([reading!.topic, reading!.payload.toString()], ['sites/7/readings/t1', '21.5'])
  await until('the command at the site', () => siteInbox.all.some((message) => message.topic === 'commands/t1'), 5000)
  assert.equal(siteInbox.all.find((message) => message.topic === 'commands/t1')!.payload.toString(), 'heat')
  await sleep(300)
  assert.equal(cloudInbox.all.length, 1)
})
