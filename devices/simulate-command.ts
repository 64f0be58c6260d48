import { parseArgs } from 'node:util'
import { CommandError, UsageError } from '../broker/command-errors.js'
import { openFileLimit } from './fd-limit.js'
import { formatSummary } from './fleet-summary.js'
import { durationSeconds, linkFlagOptions, linkFlagsUsage, linkSettingsFrom } from './link-flags.js'
import { Simulator, type SimulatorOptions } from './simulator.js'

export const simulateUsage = `Usage: thermopost simulate [--url mqtt://HOST:PORT ...] [--devices N] [options]

Runs a fleet of simulated thermostats, each a room with a heater and its own MQTT connection, until
SIGINT or SIGTERM (then every device publishes offline and disconnects).
  --devices N          thermostats (default 10); one process holds 10 000 (raise ulimit -n above N)
  --sites N            sites they are spread over (default 1)
  --interval TIME      between readings, wall clock: 5s (default), 500ms, 1m
  --time-scale N       the rooms' physics runs N times faster than the wall clock (default 1)
${linkFlagsUsage}
  --format F           json (default) or compact (12 bytes; with MQTT 5, a topic alias for the reading topic)
  --flaky SHARE        share of devices, 0 to 1, whose connection drops about once a minute (default 0)
  --home-assistant     publish Home Assistant discovery (needs --format json)
  --seed N             rooms, noise and drops repeat for the same seed (default 1)
  --report TIME        how often the summary line is printed (default 5s)`

/** `thermopost simulate`: parses its flags, ramps the fleet up, prints a summary line every few seconds. */
export async function runSimulateCommand (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...linkFlagOptions,
      devices: { type: 'string', default: '10' },
      sites: { type: 'string', default: '1' },
      interval: { type: 'string', default: '5s' },
      'time-scale': { type: 'string', default: '1' },
      format: { type: 'string', default: 'json' },
      flaky: { type: 'string', default: '0' },
      'home-assistant': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      report: { type: 'string', default: '5s' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    console.log(simulateUsage)
    return
  }
  const options = simulatorOptionsFrom(values)
  const reportMs = durationSeconds(values.report!, '--report', 0.05) * 1000
  const limit = openFileLimit()
  // Each device holds a socket; the process needs a few descriptors of its own besides.
  if (limit !== undefined && options.devices + 64 > limit) {
    throw new CommandError(`${options.devices} devices need ${options.devices + 64} open files, but ulimit -n is ${limit}: raise it (ulimit -n ${options.devices + 1024}) or run fewer`)
  }

  const simulator = new Simulator(options)
  console.log(`simulating ${options.devices} thermostat(s) on ${options.sites} site(s) against ${options.urls.join(', ')}` +
    ` (MQTT ${options.mqttVersion === 5 ? '5' : '3.1.1'}, ${options.format}, every ${options.interval} s, time scale ${options.timeScale}` +
    `${simulator.flakyCount > 0 ? `, ${simulator.flakyCount} flaky` : ''})`)
  let stopping = false
  let reporter: NodeJS.Timeout | undefined
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    clearInterval(reporter)
    console.log(`${signal}: disconnecting ${options.devices} device(s)`)
    simulator.stop().then(() => {
      console.log(`stopped; ${formatSummary(simulator.summary())}`)
      process.exit(0)
    }, (error: unknown) => {
      console.error(`thermopost: stop failed: ${(error as Error).message}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))

  const width = String(options.devices).length
  await simulator.start((started, connected) => {
    if (process.stdout.isTTY) process.stdout.write(`\rramp-up: ${String(started).padStart(width)}/${options.devices} started, ${connected} connected`)
    else if (started === options.devices) console.log(`ramp-up: ${started}/${options.devices} started, ${connected} connected`)
  })
  if (process.stdout.isTTY) process.stdout.write('\n')
  if (stopping) return
  simulator.summary()
  reporter = setInterval(() => console.log(formatSummary(simulator.summary())), reportMs)
}

function simulatorOptionsFrom (values: Record<string, string | boolean | string[] | undefined>): SimulatorOptions {
  const text = (key: string): string => values[key] as string
  const { urls, mqttVersion, username, password } = linkSettingsFrom(values as Parameters<typeof linkSettingsFrom>[0])
  const format = text('format')
  if (format !== 'json' && format !== 'compact') throw new UsageError(`--format must be json or compact, not '${format}'`)
  const flaky = Number(text('flaky'))
  if (!/^\d*\.?\d+$/.test(text('flaky')) || flaky > 1) throw new UsageError(`--flaky must be a share from 0 to 1, not '${text('flaky')}'`)
  const timeScale = Number(text('time-scale'))
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new UsageError(`--time-scale must be a number above 0, not '${text('time-scale')}'`)
  const homeAssistant = values['home-assistant'] === true
  if (homeAssistant && format === 'compact') throw new UsageError('--home-assistant reads readings as JSON: it cannot be used with --format compact')
  const devices = wholeNumber(text('devices'), '--devices', 1)
  return {
    urls,
    devices,
    sites: Math.min(wholeNumber(text('sites'), '--sites', 1), devices),
    interval: durationSeconds(text('interval'), '--interval', 0.05),
    timeScale,
    mqttVersion,
    format,
    username,
    password,
    flaky,
    homeAssistant,
    seed: wholeNumber(text('seed'), '--seed', 0)
  }
}

function wholeNumber (text: string, flag: string, min: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, not '${text}'`)
  return value
}
