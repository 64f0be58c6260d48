import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { InstanceStatus } from '../../service/api/api-types.js'
import { startBroker } from '../helpers/broker.js'
import { ReportingDevice } from './core/reporting-device.js'
import { tempDataDir } from './core/service-fixture.js'
import { eventually, SERVICE_TOKEN, startServiceProcess } from './core/service-process.js'

test('SQLite history: a second instance on the data directory waits as a standby and, when the active one is killed -9 while readings and a setpoint flow, takes over within seconds with nothing lost', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dir = tempDataDir(t)
  const args = ['--url', broker.url, '--data-dir', dir]
  const first = await startServiceProcess(t, args)
  const role = (service: typeof first) => async () => (await service.api<InstanceStatus>('/api/instance')).role
  assert.equal(await role(first)(), 'active')
  const second = await startServiceProcess(t, args)
  const standby = await second.api<InstanceStatus>('/api/instance')
  assert.equal(standby.role, 'standby')
  assert.equal(standby.instance.mode, 'active-standby')
  assert.equal(standby.active?.pid, first.pid)
  await second.logged(/standby: .* holds .*taking over when it is gone/)
  const refused = await fetch(`${second.url}/api/devices`, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } })
  assert.equal(refused.status, 503)
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'standby')

  const device = await ReportingDevice.connect(t, broker.url, 'home', 'hall')
  device.start()
  await eventually(
    async () => ((await first.api<{ devices: unknown[] }>('/api/devices')).devices.length > 0 ? true : undefined),
    () => `the device known to the active instance\n${first.output()}`
  )
  const command = await device.setpointThrough(first, 22.5)
  // Readings on their way to the first instance when it dies: delivered, not yet stored, so not acknowledged.
  const burst = await device.burst(200, 50)
  const killedAt = Date.now()
  await first.kill()
  await burst.all
  await device.ack(command.id, 22.5)
  await eventually(
    async () => ((await role(second)()) === 'active' ? true : undefined),
    () => `the standby active\n${second.output()}`
  )
  const takeoverMs = Date.now() - killedAt
  assert.ok(takeoverMs < 5000, `took over after ${takeoverMs} ms`)
  await second.logged(/taking over .*: the active instance is gone/)
  await new Promise((resolve) => setTimeout(resolve, 500))
  await device.stop()

  await device.assertHistoryComplete(second)
  await device.assertApiComplete(second, { id: command.id, value: 22.5 })
  const status = await second.api<InstanceStatus>('/api/instance')
  assert.equal(status.active?.pid, second.pid)
  console.log(`standby took over ${takeoverMs} ms after the kill; ${device.sent.length} readings, none missing`)
})
