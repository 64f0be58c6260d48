import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { decodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { startBroker } from '../../helpers/broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { waitFor, watch } from '../helpers/device-fixture.js'

/** `thermopost simulate --format sparkplug` as a user runs it. */

test('simulate --format sparkplug: each site an edge node of the group, each thermostat a device with births and data; SIGTERM sends each NDEATH', async (t) => {
  const broker = await startBroker({ sysInterval: 0 })
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, ['spBv1.0/#'])
  const args = ['--url', broker.url, '--format', 'sparkplug', '--group', 'plant', '--devices', '3', '--sites', '2']
  const child = spawn(process.execPath, [thermopostBin, 'simulate', ...args, '--interval', '100ms', '--report', '200ms'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let output = ''
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()))

  const topics = () => observer.inbox.all.map(({ topic }) => topic)
  const devices = ['site-1/room-00001', 'site-2/room-00002', 'site-1/room-00003']
  await waitFor(
    () => devices.every((device) => topics().filter((topic) => topic === `spBv1.0/plant/DDATA/${device}`).length >= 2),
    'two DDATA from each thermostat',
    // A process of its own starting up on a loaded machine.
    20_000
  )
  for (const edgeNode of ['site-1', 'site-2']) assert.ok(topics().includes(`spBv1.0/plant/NBIRTH/${edgeNode}`), edgeNode)
  for (const device of devices) assert.ok(topics().includes(`spBv1.0/plant/DBIRTH/${device}`), device)
  const data = observer.inbox.all.find(({ topic }) => topic === 'spBv1.0/plant/DDATA/site-1/room-00001')!
  const temperature = decodeSparkplugPayload(data.payload).metrics[0]?.value as number
  assert.ok(temperature > 10 && temperature < 30, `${temperature} °C`)
  // The summary counts edge nodes and gives a DDATA's size on the wire.
  await waitFor(
    () => /connected 2\/2 {2}readings\/s \d+.*wire \d+\.\d B\/reading PUBLISH/.test(output),
    'a summary line with the wire size'
  )
  assert.match(output, /as edge nodes of Sparkplug group plant/)

  child.kill('SIGTERM')
  const [code] = (await once(child, 'exit')) as [number | null]
  assert.equal(code, 0, output)
  assert.deepEqual(
    topics()
      .filter((topic) => topic.includes('/NDEATH/'))
      .sort(),
    ['spBv1.0/plant/NDEATH/site-1', 'spBv1.0/plant/NDEATH/site-2']
  )
})
