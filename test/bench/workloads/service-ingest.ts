import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CpuWindow } from '../cpu-window.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { IngestServiceProcess } from '../ingest-service-process.js'
import type { NativeHelper } from '../native-helper.js'
import { type IngestReport, lostConnections, startNativeIngest } from '../native-load-generator.js'
import { cpuSeconds, rssKb } from '../proc.js'
import { readingTemplates } from '../reading-template.js'
import { GENERATOR_CORE } from '../run-generator.js'
import type { ServiceIngestScenario } from '../scenarios.js'
import { type Measurement, NOT_MEASURED } from './measure.js'

const SITES = 10
/** Room for fewer readings than this waits for the next stored batch: many tiny writes would load the generator. */
const MIN_REFILL = 50

/**
 * `devices` thermostats' JSON readings over `publishers` connections of the native generator (native/ingest.c), QoS 1,
 * through the broker to the service in its own process (sharing the generator's core: the broker keeps one to itself). Closed loop:
 * each stored write makes room for as many new readings, so at most `outstanding` are ever between publish
 * and stored, and the pipeline runs at the rate the slowest part stores. The service reports the latency,
 * publish → stored, from the readings' times.
 */
export async function runServiceIngest(scenario: ServiceIngestScenario, config: GeneratorConfig): Promise<Measurement> {
  const service = await IngestServiceProcess.start(`mqtt://127.0.0.1:${config.port}`, GENERATOR_CORE)
  const problems: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-ingest-'))
  let generator: NativeHelper<IngestReport> | undefined
  try {
    // Fixed-width names, so every PUBLISH has the same size.
    const devices = Array.from({ length: scenario.devices }, (_, device) => ({
      site: `site${String(device % SITES).padStart(2, '0')}`,
      device: `d${String(device).padStart(5, '0')}`,
      temperature: 18 + (device % 60) / 10
    }))
    const templates = join(dir, 'readings.bin')
    writeFileSync(templates, readingTemplates(devices))
    const feed = await startNativeIngest(config.port, scenario.publishers, templates)
    generator = feed // killed if the run fails before its report
    let credited = 0
    let running = true
    const pump = (): void => {
      const room = scenario.outstanding - (credited - service.stored)
      if (!running || room < MIN_REFILL) return
      feed.command(`credit ${room}`)
      credited += room
    }
    service.onStored = pump
    pump()

    await sleep(config.warmupMs)
    service.reset()
    feed.reset()
    const window = new CpuWindow(config.brokerPid)
    const serviceCpuBefore = cpuSeconds(service.pid)
    await sleep(config.durationMs)
    const reading = window.stop()
    const serviceCpuPercent = (100 * (cpuSeconds(service.pid) - serviceCpuBefore)) / reading.seconds
    running = false
    const report = await service.report()
    const fed = await feed.report()
    const brokerRss = rssKb(config.brokerPid)
    const serviceRss = rssKb(service.pid)
    if (report.stored === 0) problems.push('the service stored nothing in the window')
    problems.push(...lostConnections(fed))
    return {
      ...NOT_MEASURED,
      generator: 'native',
      seconds: reading.seconds,
      published: fed.published,
      deliveriesPerSecond: null,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      brokerCpuPercent: reading.brokerCpuPercent,
      // The generator's core also runs the service, so the core's load, which a valid run keeps under 80 %, is both.
      generatorCpuPercent: (100 * fed.cpuSeconds) / fed.seconds + serviceCpuPercent,
      rssMb: brokerRss / 1024,
      storedPerSecond: report.stored / reading.seconds,
      serviceCpuPercent,
      serviceRssMb: serviceRss / 1024,
      problems
    }
  } finally {
    generator?.kill()
    rmSync(dir, { recursive: true, force: true })
    // Runs before the result is handed back, and `problems` is the result's own array.
    problems.push(...(await service.stop()))
  }
}
