import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { AlertRecord } from '../../../service/api/api-types.js'
import type { RunningBroker } from '../../helpers/broker.js'
import { sleep } from '../../helpers/silence.js'
import { activeActiveInstances, allActive } from './active-active-instances.js'
import { tempDataDir } from './service-fixture.js'
import type { ServiceProcess } from './service-process.js'

/** What the active-active alert tests share: two instances on one config, their alerts, readings kept up. */

/** A config file of `lines` (the `alerts:` list and the like). */
export function serviceConfig(t: TestContext, lines: readonly string[]): string {
  const file = join(tempDataDir(t), 'service.yaml')
  writeFileSync(file, [...lines, ''].join('\n'))
  return file
}

/** `service-a` and `service-b` on `config`, both active and seeing each other, once `service-a` leads the alerts. */
export async function twoAlertInstances(
  t: TestContext,
  config: string
): Promise<{
  broker: RunningBroker
  start: (clientId: string, args?: readonly string[]) => Promise<ServiceProcess>
  first: ServiceProcess
  second: ServiceProcess
}> {
  const { broker, start } = await activeActiveInstances(t)
  const first = await start('service-a', ['--config', config])
  const second = await start('service-b', ['--config', config])
  await allActive([
    [first, 'service-a'],
    [second, 'service-b']
  ])
  await first.logged(/leading the alerts/)
  return { broker, start, first, second }
}

export async function alertsOf(service: ServiceProcess): Promise<AlertRecord[]> {
  return (await service.api<{ alerts: AlertRecord[] }>('/api/alerts')).alerts
}

/** Readings of `temperature` every 100 ms for `ms`, from a device of ours or any that sends a reading as asked. */
export async function report(
  device: { reading(message: { temperature: number }): Promise<unknown> },
  temperature: number,
  ms: number
): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) await device.reading({ temperature })
}
