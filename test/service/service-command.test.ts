import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { AlertRecord, CommandRecord, DeviceSummary } from '../../service/api/api-types.js'
import { startThermostat } from '../devices/helpers/device-fixture.js'
import { startBroker } from '../helpers/broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { runProgram } from '../helpers/run-program.js'
import { eventually, startServiceProcess } from './core/service-process.js'

test('thermopost service: a simulated thermostat shows up in the API, a setpoint POSTed there is acked by it, an alert rule from the file fires', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-service-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const thermostat = startThermostat(t, { urls: [broker.url], initial: { temperature: 19, setpoint: 20 } })
  const config = join(dir, 'thermopost.yaml')
  writeFileSync(config, 'service:\n  alerts:\n    - { device: home/room-1, above: 10, for: 1s, severity: critical }\n')
  const service = await startServiceProcess(t, ['--url', broker.url, '--data-dir', dir, '--config', config, '--section', 'service'])
  const api = service.api

  const device = await eventually(
    async () => {
      const found = await api<DeviceSummary>('/api/devices/home%2Froom-1').catch(() => undefined)
      return found?.state === 'online' && found.lastReading !== undefined ? found : undefined
    },
    () => `home/room-1 online with a reading\n${service.output()}`
  )
  assert.equal(device.meta?.model, 'thermopost-sim-thermostat')
  assert.equal(device.lastReading?.setpoint, 20)

  const command = await api<CommandRecord>('/api/devices/home%2Froom-1/setpoint', { method: 'POST', body: JSON.stringify({ value: 23.5 }) })
  assert.ok(command.state === 'sent' || command.state === 'acked', command.state)
  const acked = await eventually(
    async () => {
      const { commands } = await api<{ commands: CommandRecord[] }>('/api/devices/home%2Froom-1/commands')
      return commands.find((record) => record.id === command.id && record.state === 'acked')
    },
    () => `the command acked\n${service.output()}`
  )
  assert.equal(acked.appliedValue, 23.5)
  assert.equal(thermostat.model.setpoint, 23.5)
  const alert = await eventually(
    async () => (await api<{ alerts: AlertRecord[] }>('/api/alerts?state=raised')).alerts[0],
    () => `the alert raised\n${service.output()}`
  )
  assert.deepEqual([alert.ruleId, alert.deviceId, alert.severity], ['rule-1', 'home/room-1', 'critical'])

  assert.equal(await service.stop(), 0)
  assert.match(service.output(), /"msg":"closed"/)
})

test('thermopost service: a bad option exits 2 with the usage; a history it cannot open exits 1', async (t) => {
  const usage = await runProgram(t, process.execPath, [thermopostBin, 'service', '--history', 'mysql://db/x'])
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /--history 'mysql:\/\/db\/x' is neither form/)
  assert.match(usage.stderr, /Usage: thermopost service/)
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-service-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const unreachable = await runProgram(t, process.execPath, [
    thermopostBin,
    'service',
    '--data-dir',
    dir,
    '--history',
    'influx://127.0.0.1:9/thermopost'
  ])
  assert.equal(unreachable.code, 1)
  assert.match(unreachable.stderr, /cannot open the history \(InfluxDB http:\/\/127\.0\.0\.1:9\/thermopost\)/)
})
