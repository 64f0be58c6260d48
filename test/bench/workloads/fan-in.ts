import { BenchClient } from '../bench-client.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { PublishTemplate } from '../publish-template.js'
import type { FanInScenario } from '../scenarios.js'
import { Tally } from '../tally.js'
import { measureTraffic, type Measurement } from './measure.js'
import { openClients } from './open-clients.js'
import { publishFlatOut, publishWindowed } from './publishers.js'
import { receiveInto } from './subscriber.js'

/** Many publishers on `bench/<n>` → one subscriber on `bench/#`: the broker's ingest is the limit. */
export async function runFanIn (scenario: FanInScenario, config: GeneratorConfig): Promise<Measurement> {
  const tally = new Tally()
  const subscriber = await BenchClient.open(config.port, 'bench-sub')
  await subscriber.subscribe('bench/#', scenario.qos)
  receiveInto(subscriber, tally)
  const publishers = await openClients(config.port, scenario.publishers, 'bench-pub')
  const stops = publishers.map((publisher, n) => {
    const template = new PublishTemplate(`bench/${n}`, scenario.qos)
    return scenario.qos === 0
      ? publishFlatOut(publisher, template, tally)
      : publishWindowed(publisher, template, scenario.window, tally)
  })
  const measurement = await measureTraffic(config, tally, [subscriber, ...publishers])
  for (const stop of stops) stop()
  for (const client of [subscriber, ...publishers]) client.close()
  return measurement
}
