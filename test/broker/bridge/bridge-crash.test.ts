import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { MosquittoProcess, subscribeForLater, until } from '../../helpers/bridged-brokers.js'
import { BrokerProcess, tempDir } from '../../helpers/crash-broker.js'
import { endQuietly, mqttClient } from '../../helpers/session-clients.js'

// The durability promise across a crash: what the site broker acknowledged while its link was down reaches the
// remote after the site broker is killed with SIGKILL and started again on its data directory.

test('the site broker killed with SIGKILL while the link is down and restarted: every acknowledged message reaches the remote', async (t) => {
  const mosquitto = await MosquittoProcess.start(t, ['persistence true', 'autosave_interval 0'], { persistent: true })
  const watcher = await subscribeForLater(t, mosquitto.url, 'readings/#')
  await mosquitto.stop()

  const dataDir = tempDir(t, 'thermopost-bridge-crash-')
  const config = join(dataDir, 'site.yaml')
  writeFileSync(
    config,
    [
      'allow_anonymous: true',
      'bridges:',
      '  - name: cloud',
      `    address: ${mosquitto.url}`,
      `    client_id: crash-site-${process.pid}`,
      '    restart_delay: 0.1',
      '    restart_delay_max: 0.3',
      '    topics:',
      '      - { pattern: "readings/#", direction: out, qos: 1 }',
      ''
    ].join('\n')
  )
  const args = { dataDir, extra: ['--config', config] }
  const site = await BrokerProcess.start(args)
  t.after(() => site.kill())
  const sensor = await mqttClient(t, site.url)
  const count = 50
  for (let i = 0; i < count; i++) await sensor.publishAsync(`readings/t${i % 4}`, String(i), { qos: 1 })
  await endQuietly(sensor)
  await site.kill('SIGKILL')

  const restarted = await BrokerProcess.restart({ ...args, port: site.port })
  t.after(() => restarted.kill())
  await mosquitto.run()
  const received = watcher.collect()
  await until('every acknowledged message at the remote', () => received.length >= count, 15_000).catch((error: Error) => {
    throw new Error(`${error.message}: got ${received.join(' ')}\n${restarted.output()}`)
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(
    received,
    Array.from({ length: count }, (_, i) => String(i))
  )
})
