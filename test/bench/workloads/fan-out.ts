import { BenchClient } from '../bench-client.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { PublishTemplate } from '../publish-template.js'
import type { FanOutScenario } from '../scenarios.js'
import { Tally } from '../tally.js'
import { measureTraffic, type Measurement } from './measure.js'
import { openClients } from './open-clients.js'
import { publishPaced } from './publishers.js'
import { receiveInto } from './subscriber.js'

const TOPIC = 'bench/fanout'

/** One paced publisher → many subscribers of the same topic. */
export async function runFanOut (scenario: FanOutScenario, config: GeneratorConfig): Promise<Measurement> {
  const tally = new Tally()
  const subscribers = await openClients(config.port, scenario.subscribers, 'bench-sub')
  await Promise.all(subscribers.map((subscriber) => subscriber.subscribe(TOPIC, 0)))
  for (const subscriber of subscribers) receiveInto(subscriber, tally)
  const publisher = await BenchClient.open(config.port, 'bench-pub')
  const stop = publishPaced(publisher, new PublishTemplate(TOPIC, 0), scenario.rate, tally)
  const measurement = await measureTraffic(config, tally, [publisher, ...subscribers])
  stop()
  for (const client of [publisher, ...subscribers]) client.close()
  return measurement
}
