import type { TestContext } from 'node:test'
import type { InstanceStatus } from '../../../service/api/api-types.js'
import { type RunningBroker, startBroker } from '../../helpers/broker.js'
import { startInfluxd } from '../../helpers/influxd.js'
import { tempDataDir } from './service-fixture.js'
import { eventually, type ServiceProcess, startServiceProcess } from './service-process.js'

/** A broker, a real influxd and `thermopost service` processes sharing that history: active-active instances. */
export interface ActiveActiveInstances {
  broker: RunningBroker
  /**
   * `thermopost service --client-id CLIENT_ID` on the shared history, with `args` added; a client id started
   * before gets its data directory again, as an instance that comes back does.
   */
  start(clientId: string, args?: readonly string[]): Promise<ServiceProcess>
}

/** Starts the broker and influxd, each stopped after the test. */
export async function activeActiveInstances(t: TestContext): Promise<ActiveActiveInstances> {
  const influxd = await startInfluxd()
  t.after(() => influxd.stop())
  const broker = await startBroker()
  t.after(() => broker.close())
  const history = `influx://${influxd.host}:${influxd.port}/thermopost`
  const dirs = new Map<string, string>()
  return {
    broker,
    start(clientId, args = []) {
      const dir = dirs.get(clientId) ?? tempDataDir(t)
      dirs.set(clientId, dir)
      return startServiceProcess(t, ['--url', broker.url, '--data-dir', dir, '--history', history, '--client-id', clientId, ...args])
    }
  }
}

/** `GET /api/instance` of a service process. */
export function instanceStatus(service: ServiceProcess): Promise<InstanceStatus> {
  return service.api<InstanceStatus>('/api/instance')
}

/** Waits until each of `instances` (a process and its client id) is active and sees every other one active. */
export async function allActive(instances: ReadonlyArray<readonly [ServiceProcess, string]>): Promise<void> {
  for (const [service, self] of instances) {
    const others = instances.map(([, clientId]) => clientId).filter((clientId) => clientId !== self)
    await eventually(
      async () => {
        const { role, instance, peers } = await instanceStatus(service)
        return role === 'active' &&
          instance.mode === 'active-active' &&
          others.every((other) => peers?.some((peer) => peer.clientId === other && peer.state === 'active'))
          ? true
          : undefined
      },
      () => `all active, each seeing the others\n${service.output()}`
    )
  }
}
