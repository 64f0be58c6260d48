import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { BenchClient } from '../bench-client.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { PublishTemplate } from '../publish-template.js'
import type { FanInScenario } from '../scenarios.js'
import { Tally } from '../tally.js'
import { type Measurement, measureTraffic } from './measure.js'
import { openClients } from './open-clients.js'
import { publishFlatOut, publishWindowed } from './publishers.js'
import { receiveInto } from './subscriber.js'

/** Fixed, so a persistent subscriber's session is the same one throughout the run. */
const SUBSCRIBER_ID = 'bench-sub'
/** After the window: how long the QoS 1 subscriber may take to receive every acknowledged message. */
const DRAIN_TIMEOUT_MS = 15_000

/** Many publishers on `bench/<n>` → one subscriber on `bench/#`: the broker's ingest is the limit. */
export async function runFanIn(scenario: FanInScenario, config: GeneratorConfig): Promise<Measurement> {
  const tally = new Tally()
  const subscriber = await BenchClient.open(config.port, SUBSCRIBER_ID, !scenario.persistentSubscriber)
  await subscriber.subscribe('bench/#', scenario.qos)
  receiveInto(subscriber, tally)
  const publishers = await openClients(config.port, scenario.publishers, 'bench-pub')
  const stops = publishers.map((publisher, n) => {
    const template = new PublishTemplate(`bench/${n}`, scenario.qos)
    return scenario.qos === 0 ? publishFlatOut(publisher, template, tally) : publishWindowed(publisher, template, scenario.window, tally)
  })
  const measurement = await measureTraffic(config, tally, [subscriber, ...publishers], scenario.qos === 1)
  for (const stop of stops) stop()
  if (scenario.qos === 1) measurement.problems.push(...(await undelivered(tally)))
  for (const client of [subscriber, ...publishers]) client.close()
  return measurement
}

/**
 * QoS 1: every message a publisher got a PUBACK for must reach the subscriber (at least once).
 * Waits, with the publishers stopped, until the subscriber has caught up; a problem if it does not.
 */
async function undelivered(tally: Tally): Promise<string[]> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS
  let acknowledged = -1
  // The last windows' PUBACKs are still arriving: wait for them to stop, then for the deliveries.
  while (tally.acknowledgedTotal !== acknowledged || tally.deliveredTotal < tally.acknowledgedTotal) {
    if (performance.now() > deadline) {
      return [
        `${tally.acknowledgedTotal - tally.deliveredTotal} of ${tally.acknowledgedTotal} acknowledged messages not delivered ${DRAIN_TIMEOUT_MS} ms after publishing stopped`
      ]
    }
    acknowledged = tally.acknowledgedTotal
    await sleep(200)
  }
  return []
}
