import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { CommandRecord, DeviceSummary } from '../../service/api/api-types.js'
import { startBroker } from '../helpers/broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { eventually, startServiceProcess } from '../service/core/service-process.js'

/**
 * Sparkplug B end to end: `thermopost simulate --format sparkplug` → the broker (Sparkplug aware) → `thermopost
 * service` (the primary host application) → its API, with a setpoint going back as DCMD, and the devices going
 * offline with their edge nodes' NDEATH.
 */
test('simulate --format sparkplug → broker → service → API: devices with group and edge node, a DCMD setpoint acked, NDEATH takes them offline', async (t) => {
  const broker = await startBroker({ sysInterval: 0 })
  t.after(() => broker.close())
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-sparkplug-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const service = await startServiceProcess(t, ['--url', broker.url, '--data-dir', dir, '--sparkplug-host-id', 'e2e'])
  await service.logged(/online as Sparkplug primary host/)
  const simulator = spawn(
    process.execPath,
    [
      thermopostBin,
      'simulate',
      '--url',
      broker.url,
      '--format',
      'sparkplug',
      '--group',
      'plant',
      '--devices',
      '2',
      '--sites',
      '2',
      '--interval',
      '200ms'
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  t.after(() => {
    if (simulator.exitCode === null) simulator.kill('SIGKILL')
  })
  let output = ''
  for (const stream of [simulator.stdout, simulator.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()))

  const sparkplugDevices = async (): Promise<DeviceSummary[]> =>
    (await service.api<{ devices: DeviceSummary[] }>('/api/devices')).devices.filter((device) => device.source === 'sparkplug')
  const devices = await eventually(
    async () => {
      const found = await sparkplugDevices()
      return found.length === 2 && found.every((device) => device.state === 'online' && device.lastReading !== undefined)
        ? found
        : undefined
    },
    () => `two Sparkplug devices online\n${service.output()}\n${output}`
  )
  assert.deepEqual(
    devices.map(({ id, sparkplug }) => ({ id, sparkplug })),
    [
      { id: 'plant/site-1/room-00001', sparkplug: { group: 'plant', edgeNode: 'site-1' } },
      { id: 'plant/site-2/room-00002', sparkplug: { group: 'plant', edgeNode: 'site-2' } }
    ]
  )
  const id = encodeURIComponent('plant/site-2/room-00002')
  const command = await service.api<CommandRecord>(`/api/devices/${id}/setpoint`, { method: 'POST', body: JSON.stringify({ value: 23.5 }) })
  const acked = await eventually(
    async () =>
      (await service.api<{ commands: CommandRecord[] }>(`/api/devices/${id}/commands`)).commands.find(
        (record) => record.id === command.id && record.state === 'acked'
      ),
    () => `the DCMD acked\n${service.output()}`
  )
  assert.equal(acked.appliedValue, 23.5)
  await eventually(
    async () => ((await service.api<DeviceSummary>(`/api/devices/${id}`)).lastReading?.setpoint === 23.5 ? true : undefined),
    () => 'a reading with the new setpoint'
  )

  simulator.kill('SIGTERM')
  const [code] = (await once(simulator, 'exit')) as [number | null]
  assert.equal(code, 0, output)
  await eventually(
    async () => ((await sparkplugDevices()).every((device) => device.state === 'offline') ? true : undefined),
    () => `both devices offline after their edge nodes' NDEATH\n${service.output()}`
  )
  assert.equal(await service.stop(), 0)
})
