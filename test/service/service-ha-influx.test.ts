import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CommandRecord, DeviceSummary } from '../../service/api/api-types.js'
import { activeActiveInstances, allActive, instanceStatus as status } from './core/active-active-instances.js'
import { ReportingDevice } from './core/reporting-device.js'
import { eventually } from './core/service-process.js'

test('InfluxDB history: two active instances answer for every device and command; one killed -9 while readings and a setpoint flow loses nothing', async (t) => {
  const { broker, start } = await activeActiveInstances(t)
  const first = await start('service-a')
  const second = await start('service-b')
  await allActive([
    [first, 'service-a'],
    [second, 'service-b']
  ])

  const device = await ReportingDevice.connect(t, broker.url, 'home', 'hall')
  device.start()
  // Readings are split between the two; the last one is shared, so each knows the device's newest reading.
  await eventually(
    async () => {
      const newest = device.sent.at(-20)
      if (newest === undefined) return undefined
      const seen = await Promise.all(
        [first, second].map((service) => service.api<DeviceSummary>('/api/devices/home%2Fhall').catch(() => undefined))
      )
      return seen.every((found) => (found?.lastReading?.time ?? 0) >= newest) ? true : undefined
    },
    () => `the newest readings in both\n${first.output()}\n${second.output()}`
  )
  const command = await device.setpointThrough(first, 23)
  const { commands } = await second.api<{ commands: CommandRecord[] }>('/api/devices/home%2Fhall/commands')
  assert.equal(commands.find((record) => record.id === command.id)?.state, 'sent', 'the command sent by the first known to the second')

  // Readings on their way to the first instance when it dies: delivered, not yet stored, so not acknowledged.
  const burst = await device.burst(200, 50)
  await first.kill()
  await burst.all
  await device.ack(command.id, 23)
  await eventually(
    async () => ((await status(second)).peers?.find((peer) => peer.clientId === 'service-a')?.adoptedBy === 'service-b' ? true : undefined),
    () => `the dead instance's session adopted\n${second.output()}`
  )
  await second.logged(/instance service-a is gone: adopting its broker session/)
  await new Promise((resolve) => setTimeout(resolve, 500))
  await device.stop()

  await device.assertHistoryComplete(second)
  await device.assertApiComplete(second, { id: command.id, value: 23 })
  console.log(`${device.sent.length} readings across the kill, none missing`)

  // The dead one comes back: it takes its session back from the adopter, which lets it go for good, and it
  // learns from the retained records what happened while it was away (the ack it never saw).
  const back = await start('service-a')
  await eventually(
    async () => ((await status(second)).peers?.find((peer) => peer.clientId === 'service-a')?.state === 'active' ? true : undefined),
    () => `the first instance active again
${second.output()}`
  )
  device.start()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await device.stop()
  assert.equal(
    (await status(second)).peers?.find((peer) => peer.clientId === 'service-a')?.state,
    'active',
    'no tug of war over the session'
  )
  assert.equal(second.output().match(/adopting its broker session/g)?.length, 1, second.output())
  await device.assertApiComplete(back, { id: command.id, value: 23 })
  await device.assertHistoryComplete(back)
})
