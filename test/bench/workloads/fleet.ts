import { setTimeout as sleep } from 'node:timers/promises'
import { openFileLimit } from '../../../devices/fd-limit.js'
import { Simulator } from '../../../devices/simulator.js'
import { CpuWindow } from '../cpu-window.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { peakRssKb, rssKb } from '../proc.js'
import type { FleetScenario } from '../scenarios.js'
import { type Measurement, NOT_MEASURED } from './measure.js'

/**
 * The device simulator at full size: `devices` thermostats, each its own MQTT 5 connection, reporting
 * JSON readings at QoS 1 every `interval` seconds. Measures what one simulator process and the broker
 * pay in memory for the fleet, and the readings per second the broker acknowledges.
 */
export async function runFleet(scenario: FleetScenario, config: GeneratorConfig): Promise<Measurement> {
  const limit = openFileLimit()
  if (limit !== undefined && limit < scenario.devices + 64) {
    throw new Error(
      `${scenario.devices} devices need ulimit -n of at least ${scenario.devices + 64} (it is ${limit}): raise it before npm run bench`
    )
  }
  await sleep(config.warmupMs)
  const brokerBefore = rssKb(config.brokerPid)
  const simulator = new Simulator({
    urls: [`mqtt://127.0.0.1:${config.port}`],
    devices: scenario.devices,
    sites: scenario.sites,
    interval: scenario.interval,
    timeScale: 1,
    mqttVersion: 5,
    format: 'json',
    flaky: 0,
    homeAssistant: false,
    seed: 1
  })
  const rampStart = Date.now()
  await simulator.start()
  const rampSeconds = (Date.now() - rampStart) / 1000
  // One whole interval first, so every device is on its reading schedule when the window opens.
  await sleep(scenario.interval * 1000)
  simulator.summary()
  const window = new CpuWindow(config.brokerPid)
  const ackedBefore = simulator.counters.readingsAcked
  await sleep(config.durationMs)
  const reading = window.stop()
  const summary = simulator.summary()
  const brokerAfter = rssKb(config.brokerPid)
  const simulatorRssKb = rssKb(process.pid)
  const problems: string[] = []
  if (summary.connected < scenario.devices)
    problems.push(`${scenario.devices - summary.connected} of ${scenario.devices} devices not connected`)
  if (summary.losses > 0) problems.push(`${summary.losses} connection losses`)
  console.error(`fleet: ramp-up of ${scenario.devices} devices took ${rampSeconds.toFixed(1)} s`)
  await simulator.stop()
  return {
    ...NOT_MEASURED,
    generator: 'node',
    seconds: reading.seconds,
    published: simulator.counters.readingsAcked - ackedBefore,
    deliveriesPerSecond: null,
    acksPerSecond: summary.readingsPerSecond,
    p50Ms: null,
    p99Ms: null,
    brokerCpuPercent: reading.brokerCpuPercent,
    generatorCpuPercent: reading.generatorCpuPercent,
    rssPerConnectionKb: (brokerAfter - brokerBefore) / scenario.devices,
    rssMb: brokerAfter / 1024,
    rssPeakMb: peakRssKb(config.brokerPid) / 1024,
    simulatorRssMb: simulatorRssKb / 1024,
    problems
  }
}
