import { type ReceiverReport, startFanOutReceiver } from '../fanout-receiver.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { nativeProblems, startNativeFanOutPublisher } from '../native-load-generator.js'
import type { FanOutScenario } from '../scenarios.js'
import { type Measurement, measureWindow, NOT_MEASURED } from './measure.js'

const TOPIC = 'bench/fanout'

/**
 * One paced publisher (native/load-generator.c) → many subscribers of the same topic, all held by the
 * native receiver, which is the only way one core reads 400 000 deliveries a second and stays under
 * the generator's 80 % limit. Every broker is offered the same load, so where none is saturated the
 * broker's CPU time per delivery still compares them.
 */
export async function runFanOut(scenario: FanOutScenario, config: GeneratorConfig): Promise<Measurement> {
  const receiver = await startFanOutReceiver(config.port, scenario.subscribers, TOPIC, 'bench-sub', scenario.receiverPassMs)
  try {
    const publisher = await startNativeFanOutPublisher(config.port, scenario.rate, TOPIC)
    try {
      const reading = await measureWindow(config, [publisher, receiver])
      const report = await receiver.report()
      const published = await publisher.report()
      // Percent of one core over the window, as microseconds per delivered message.
      const perDelivery = (percent: number): number | null =>
        report.delivered > 0 ? (percent * 10_000 * reading.seconds) / report.delivered : null
      return {
        ...NOT_MEASURED,
        generator: 'native',
        seconds: reading.seconds,
        published: published.published,
        deliveriesPerSecond: report.delivered / report.seconds,
        p50Ms: report.p50Ms,
        p99Ms: report.p99Ms,
        brokerCpuPercent: reading.brokerCpuPercent,
        brokerCpuUsPerDelivery: perDelivery(reading.brokerCpuPercent),
        brokerKernelUsPerDelivery: perDelivery(reading.brokerSystemPercent),
        generatorCpuPercent: reading.generatorCpuPercent,
        problems: [...nativeProblems(published), ...receiverProblems(report)]
      }
    } finally {
      publisher.kill()
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
