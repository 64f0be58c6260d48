import { z } from 'zod'
import { onStopRequest } from '../common/close-on-signals.js'
import { CommandError, UsageError } from '../common/command-errors.js'
import { type CommandConfig, readCommandConfig } from '../common/config/command-config.js'
import { durationSeconds, linkFlagsUsage, linkSettingsFrom } from '../common/link-flags.js'
import { isSparkplugId } from '../common/sparkplug/sparkplug-topics.js'
import { openFileLimit } from './fd-limit.js'
import { formatSummary } from './fleet-summary.js'
import { DEFAULT_DISCOVERY_PREFIX } from './home-assistant.js'
import { discoveryPrefix, noDiscoveryFlag } from './home-assistant-flags.js'
import { Simulator, type SimulatorOptions } from './simulator.js'
import { SparkplugFleet, type SparkplugFleetOptions } from './sparkplug/sparkplug-fleet.js'

/** `thermopost simulate`: its flags, config file and usage, and the run of a simulated fleet (Simulator). */

export const simulateUsage = `Usage: thermopost simulate [--url mqtt://HOST:PORT ...] [--devices N] [options]

Runs a fleet of simulated thermostats, each a room with a heater and its own MQTT connection, until
SIGINT or SIGTERM (then every device publishes offline and disconnects).
  --devices N          thermostats (default 10); one process holds 10 000 (raise ulimit -n above N)
  --sites N            sites they are spread over (default 1)
  --interval TIME      between readings, wall clock: 5s (default), 500ms, 1m
  --time-scale N       the rooms' physics runs N times faster than the wall clock (default 1)
${linkFlagsUsage}
  --format F           json (default) or compact (12 bytes; with MQTT 5, a topic alias for the reading topic),
                       or sparkplug: Sparkplug B 3.0, each site an edge node and each thermostat a device of it
  --group NAME         the Sparkplug group of --format sparkplug (default thermopost)
  --primary-host ID    with --format sparkplug: births wait for this host application's STATE online, and
                       its STATE offline moves the edge nodes on to the next --url (default: no wait)
  --flaky SHARE        share of devices, 0 to 1, whose connection drops about once a minute (default 0)
  --ha-prefix P        Home Assistant's discovery prefix (default homeassistant): each thermostat is announced
                       there as a climate entity, retained, and again when P/status says online
  --no-ha-discovery    publish no Home Assistant discovery (off by itself with --format compact or sparkplug)
  --home-assistant     insist on discovery: an error with --format compact or sparkplug
  --seed N             rooms, noise and drops repeat for the same seed (default 1)
  --report TIME        how often the summary line is printed (default 5s)
  --config FILE [--section NAME]
                       the same settings from a YAML file (snake_case keys: time_scale, ha_prefix, home_assistant: false ...,
                       url a list), or one section of it; a flag wins over the file`

/** `thermopost simulate`: parses its flags, ramps the fleet up, prints a summary line every few seconds. */
export async function runSimulateCommand(args: string[]): Promise<void> {
  const read = await readCommandConfig(args, simulatorConfigSchema, {
    switches: new Set(['home_assistant']),
    repeatable: ['url'],
    extraFlags: noDiscoveryFlag
  })
  if (read === undefined) {
    console.log(simulateUsage)
    return
  }
  const options = simulatorOptionsFrom(read)
  const reportMs = checked(read, 'report', () => durationSeconds(String(read.config.report ?? '5s'), '--report', 0.05)) * 1000
  const limit = openFileLimit()
  // Each device holds a socket; the process needs a few descriptors of its own besides.
  if (limit !== undefined && options.devices + 64 > limit) {
    throw new CommandError(
      `${options.devices} devices need ${options.devices + 64} open files, but ulimit -n is ${limit}: raise it (ulimit -n ${options.devices + 1024}) or run fewer`
    )
  }

  const simulator = options.format === 'sparkplug' ? new SparkplugFleet(options) : new Simulator(options)
  // The stop handler goes in before the ready line: `thermopost start` may send SIGTERM as soon as it reads
  // that line, and a signal that came before the handler would kill the process without its devices' goodbyes.
  let stopping = false
  let reporter: NodeJS.Timeout | undefined
  onStopRequest((reason) => {
    stopping = true
    clearInterval(reporter)
    console.log(`${reason}: disconnecting ${options.devices} device(s)`)
    simulator.stop().then(
      () => {
        console.log(`stopped; ${formatSummary(simulator.summary())}`)
        process.exit(0)
      },
      (error: unknown) => {
        console.error(`thermopost: stop failed: ${(error as Error).message}`)
        process.exit(1)
      }
    )
  })

  const sparkplug = options.format === 'sparkplug' ? ` as edge nodes of Sparkplug group ${options.group}` : ''
  console.log(
    `simulating ${options.devices} thermostat(s) on ${options.sites} site(s)${sparkplug} against ${options.urls.join(', ')}` +
      ` (MQTT ${options.mqttVersion === 5 ? '5' : '3.1.1'}, ${options.format}, every ${options.interval} s, time scale ${options.timeScale}` +
      `, Home Assistant discovery ${options.format !== 'sparkplug' && options.homeAssistant ? `on ${options.homeAssistantPrefix}/` : 'off'}` +
      `${simulator.flakyCount > 0 ? `, ${simulator.flakyCount} flaky` : ''})`
  )
  const width = String(options.devices).length
  await simulator.start((started, connected) => {
    if (process.stdout.isTTY)
      process.stdout.write(`\rramp-up: ${String(started).padStart(width)}/${options.devices} started, ${connected} connected`)
    else if (started === options.devices) console.log(`ramp-up: ${started}/${options.devices} started, ${connected} connected`)
  })
  if (process.stdout.isTTY) process.stdout.write('\n')
  if (stopping) return
  simulator.summary()
  reporter = setInterval(() => console.log(formatSummary(simulator.summary())), reportMs)
}

/**
 * The simulator's keys, as the `simulator:` section of a config file spells them; each is also a flag, its
 * kebab-case spelling (`time_scale` ↔ `--time-scale`). Times are like the flags': `5s`, `500ms`, `1m`, or seconds.
 */
export const simulatorConfigSchema = z.strictObject({
  url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  mqtt_version: z.union([z.literal(5), z.enum(['5', '3.1.1'])]).optional(),
  devices: z.number().int().min(1).max(100_000).optional(),
  sites: z.number().int().min(1).optional(),
  interval: z.union([z.string(), z.number()]).optional(),
  time_scale: z.number().positive().optional(),
  format: z.enum(['json', 'compact', 'sparkplug']).optional(),
  group: z.string().min(1).optional(),
  primary_host: z.string().min(1).optional(),
  flaky: z.number().min(0).max(1).optional(),
  /** Home Assistant discovery: on by default with format json. */
  home_assistant: z.boolean().optional(),
  ha_prefix: discoveryPrefix.optional(),
  seed: z.number().int().min(0).optional(),
  report: z.union([z.string(), z.number()]).optional()
})

type SimulatorConfig = z.infer<typeof simulatorConfigSchema>

/** The thermopost fleet's options, or the Sparkplug fleet's. */
type FleetOptions = SimulatorOptions | (SparkplugFleetOptions & { format: 'sparkplug' })

function simulatorOptionsFrom(read: CommandConfig<SimulatorConfig>): FleetOptions {
  const { config } = read
  const { urls, mqttVersion, username, password } = checked(read, 'url', () =>
    linkSettingsFrom({
      ...(config.url === undefined ? {} : { url: [config.url].flat() }),
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
      'mqtt-version': String(config.mqtt_version ?? '5')
    })
  )
  const format = config.format ?? 'json'
  const asked = read.extra['no-ha-discovery'] === true ? false : config.home_assistant
  if (asked === true && format !== 'json')
    throw read.problem('home_assistant', `reads readings as JSON: it cannot be used with format ${format}`)
  // On by default where Home Assistant can read the readings (JSON); a compact or Sparkplug fleet leaves it off.
  const homeAssistant = asked ?? format === 'json'
  for (const key of ['group', 'primary_host'] as const) {
    const id = config[key]
    if (id !== undefined && format !== 'sparkplug') throw read.problem(key, 'is a Sparkplug setting: it needs format sparkplug')
    if (id !== undefined && !isSparkplugId(id)) throw read.problem(key, 'must be one topic level, without / + or #')
  }
  const devices = config.devices ?? 10
  const common = {
    urls,
    devices,
    sites: Math.min(config.sites ?? 1, devices),
    interval: checked(read, 'interval', () => durationSeconds(String(config.interval ?? '5s'), '--interval', 0.05)),
    timeScale: config.time_scale ?? 1,
    mqttVersion,
    username,
    password,
    flaky: config.flaky ?? 0,
    seed: config.seed ?? 1
  }
  if (format === 'sparkplug')
    return {
      ...common,
      format,
      group: config.group ?? 'thermopost',
      ...(config.primary_host === undefined ? {} : { primaryHostId: config.primary_host })
    }
  return { ...common, format, homeAssistant, homeAssistantPrefix: config.ha_prefix ?? DEFAULT_DISCOVERY_PREFIX }
}

/** Runs a check written for flags; a key that came from the file gets its mistake reported at the file's line. */
function checked<T>(read: CommandConfig<SimulatorConfig>, key: keyof SimulatorConfig, check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (!(error instanceof UsageError) || key in read.fromFlags || read.file === undefined) throw error
    throw read.problem(key, error.message.replace(/^--[\w-]+ /, ''))
  }
}
