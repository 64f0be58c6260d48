import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchClient } from '../bench-client.js'
import { CpuWindow } from '../cpu-window.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { IngestServiceProcess } from '../ingest-service-process.js'
import { cpuSeconds, rssKb } from '../proc.js'
import { PacketIdSequence } from '../publish-template.js'
import { ReadingTemplate } from '../reading-template.js'
import { GENERATOR_CORE } from '../run-generator.js'
import type { ServiceIngestScenario } from '../scenarios.js'
import { connectionProblems, type Measurement, NOT_MEASURED } from './measure.js'
import { openClients } from './open-clients.js'

const SITES = 10
/** Room for fewer readings than this waits for the next stored batch: many tiny writes would load the generator. */
const MIN_REFILL = 50

/** One publisher connection and the devices it speaks for, taken in turn. */
class DeviceFeed {
  private next = 0

  constructor(
    private readonly client: BenchClient,
    private readonly devices: readonly ReadingTemplate[]
  ) {}

  /** `count` readings, one socket write. */
  send(count: number, now: number): void {
    const size = this.devices[0].size
    const out = Buffer.allocUnsafe(count * size)
    for (let index = 0; index < count; index++) {
      this.devices[this.next].writeInto(out, index * size, now)
      this.next = (this.next + 1) % this.devices.length
    }
    this.client.write(out)
  }
}

/**
 * `devices` thermostats' JSON readings over `publishers` connections, QoS 1, through the broker to the
 * service in its own process (sharing the generator's core: the broker keeps one to itself). Closed loop:
 * each stored write makes room for as many new readings, so at most `outstanding` are ever between publish
 * and stored, and the pipeline runs at the rate the slowest part stores. The service reports the latency,
 * publish → stored, from the readings' times.
 */
export async function runServiceIngest(scenario: ServiceIngestScenario, config: GeneratorConfig): Promise<Measurement> {
  const service = await IngestServiceProcess.start(`mqtt://127.0.0.1:${config.port}`, GENERATOR_CORE)
  const problems: string[] = []
  let publishers: BenchClient[] = []
  try {
    publishers = await openClients(config.port, scenario.publishers, 'bench-devices')
    const feeds = publishers.map((client, feed) => {
      const packetIds = new PacketIdSequence()
      const devices: ReadingTemplate[] = []
      // Fixed-width names, so every PUBLISH has the same size.
      for (let device = feed; device < scenario.devices; device += scenario.publishers) {
        const site = `site${String(device % SITES).padStart(2, '0')}`
        devices.push(new ReadingTemplate(site, `d${String(device).padStart(5, '0')}`, 18 + (device % 60) / 10, packetIds))
      }
      return new DeviceFeed(client, devices)
    })
    let published = 0
    let first = 0
    let running = true
    const pump = (): void => {
      let room = scenario.outstanding - (published - service.stored)
      if (!running || room < MIN_REFILL) return
      const now = Date.now()
      const share = Math.ceil(room / feeds.length)
      for (let turn = 0; turn < feeds.length && room > 0; turn++) {
        const count = Math.min(share, room)
        feeds[(first + turn) % feeds.length].send(count, now)
        published += count
        room -= count
      }
      first = (first + 1) % feeds.length
    }
    service.onStored = pump
    pump()

    await sleep(config.warmupMs)
    service.reset()
    const publishedBefore = published
    const window = new CpuWindow(config.brokerPid)
    const serviceCpuBefore = cpuSeconds(service.pid)
    await sleep(config.durationMs)
    const reading = window.stop()
    const serviceCpuSeconds = cpuSeconds(service.pid) - serviceCpuBefore
    const report = await service.report()
    const brokerRss = rssKb(config.brokerPid)
    const serviceRss = rssKb(service.pid)
    running = false
    if (report.stored === 0) problems.push('the service stored nothing in the window')
    problems.push(...connectionProblems(publishers))
    return {
      ...NOT_MEASURED,
      generator: 'node',
      seconds: reading.seconds,
      published: published - publishedBefore,
      deliveriesPerSecond: null,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      brokerCpuPercent: reading.brokerCpuPercent,
      generatorCpuPercent: reading.generatorCpuPercent,
      rssMb: brokerRss / 1024,
      storedPerSecond: report.stored / reading.seconds,
      serviceCpuPercent: (100 * serviceCpuSeconds) / reading.seconds,
      serviceRssMb: serviceRss / 1024,
      problems
    }
  } finally {
    for (const client of publishers) client.close()
    // Runs before the result is handed back, and `problems` is the result's own array.
    problems.push(...(await service.stop()))
  }
}
