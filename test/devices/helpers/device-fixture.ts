import type { TestContext } from 'node:test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { ModelClock } from '../../../devices/model/model-clock.js'
import { SeededRandom } from '../../../devices/model/seeded-random.js'
import { ReadingScheduler } from '../../../devices/reading-scheduler.js'
import { Thermostat, type ThermostatOptions } from '../../../devices/thermostat.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { sleep } from '../../helpers/silence.js'

/** Thermostats and watching clients for the device tests, each stopped after its test. */

/** Reconnect quickly: tests wait for failover in fractions of a second, not the default's seconds. */
export const FAST_BACKOFF = { initialMs: 50, maxMs: 400 }

export type ThermostatSetup = Partial<Omit<ThermostatOptions, 'urls'>> & { urls: readonly string[] }

/** A started thermostat `home/room-1` reporting every 0.1 s on its own scheduler and clock. */
export function startThermostat(t: TestContext, setup: ThermostatSetup): Thermostat {
  const scheduler = setup.scheduler ?? new ReadingScheduler(10)
  const thermostat = new Thermostat({
    site: 'home',
    device: 'room-1',
    interval: 0.1,
    clock: new ModelClock(1),
    random: new SeededRandom(1),
    firstReadingAt: Date.now(),
    backoff: FAST_BACKOFF,
    ...setup,
    scheduler
  })
  thermostat.start()
  t.after(() => thermostat.stop())
  return thermostat
}

/** An mqtt.js client subscribed to `filters` (QoS 1), with an inbox made before it connects. */
export async function watch(
  t: TestContext,
  url: string,
  filters: string[],
  options: IClientOptions = {}
): Promise<{ client: MqttClient; inbox: Inbox }> {
  const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, ...options })
  t.after(() => client.endAsync(true))
  const inbox = new Inbox(client)
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 })
  return { client, inbox }
}

/** Polls `condition` every 10 ms; rejects naming `what` if it is still false after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}
