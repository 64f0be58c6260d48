import { setTimeout as sleep } from 'node:timers/promises'
import { BenchClient } from '../bench-client.js'
import { CpuWindow } from '../cpu-window.js'
import { FanOutReceiver, type ReceiverReport } from '../fanout-receiver.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { PublishTemplate } from '../publish-template.js'
import type { FanOutScenario } from '../scenarios.js'
import { Tally } from '../tally.js'
import { connectionProblems, type Measurement, NOT_MEASURED } from './measure.js'
import { publishPaced } from './publishers.js'

const TOPIC = 'bench/fanout'

/**
 * One paced publisher (here, in Node: a few thousand PUBLISHes a second are cheap) → many
 * subscribers of the same topic, all held by the native receiver, which is the only way one core
 * reads 400 000 deliveries a second and stays under the generator's 80 % limit.
 */
export async function runFanOut(scenario: FanOutScenario, config: GeneratorConfig): Promise<Measurement> {
  const receiver = await FanOutReceiver.start(config.port, scenario.subscribers, TOPIC, 'bench-sub', scenario.receiverPassMs)
  try {
    const tally = new Tally()
    const publisher = await BenchClient.open(config.port, 'bench-pub')
    const stop = publishPaced(publisher, new PublishTemplate(TOPIC, 0), scenario.rate, tally)
    await sleep(config.warmupMs)
    tally.reset()
    receiver.reset()
    const window = new CpuWindow(config.brokerPid, [receiver.pid])
    await sleep(config.durationMs)
    const reading = window.stop()
    const report = await receiver.stop()
    stop()
    publisher.close()
    return {
      ...NOT_MEASURED,
      generator: 'node-with-native-receiver',
      seconds: reading.seconds,
      published: tally.published,
      deliveriesPerSecond: report.delivered / report.seconds,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      brokerCpuPercent: reading.brokerCpuPercent,
      brokerCpuUsPerDelivery: report.delivered > 0 ? (reading.brokerCpuPercent * 10_000 * reading.seconds) / report.delivered : null,
      generatorCpuPercent: reading.generatorCpuPercent,
      problems: [...connectionProblems([publisher]), ...receiverProblems(report)]
    }
  } finally {
    receiver.kill()
  }
}

function receiverProblems(report: ReceiverReport): string[] {
  const problems: string[] = []
  if (report.lost > 0) problems.push(`${report.lost} of ${report.subscribers} subscriber connections: ${report.lostReason}`)
  if (report.negativeLatencies > 0) {
    problems.push(`${report.negativeLatencies} deliveries read before they were sent: the publisher's and the receiver's clocks disagree`)
  }
  return problems
}
