import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { CommandError, UsageError } from '../broker/command-errors.js'
import { createLogger } from '../broker/log.js'
import { Agent, type AgentOptions } from './agent.js'
import { INTERVAL_RANGE, isName } from './contract.js'
import { describeSearches, discoverSensors } from './sensors/discover-sensors.js'

export const agentUsage = `Usage: thermopost agent [--url mqtt://HOST:PORT ...] [options]

Publishes this machine's temperature sensors, each as a device (thermopost/SITE/SENSOR-ID/...), until
SIGINT or SIGTERM. It reads Linux thermal zones (/sys/class/thermal/thermal_zone*/temp), hwmon chips
(/sys/class/hwmon/hwmon*/temp*_input) and DS18B20 1-wire probes (/sys/bus/w1/devices/28-*/w1_slave),
and takes the interval command.
  --url URL            a broker to connect to (default mqtt://127.0.0.1:1883); repeat it for a list to
                       fail over through
  --site NAME          the site the sensors are published under (default: this host's name)
  --interval TIME      between readings: 10s (default), 500ms, 1m
  --sysfs-root PATH    read sysfs under PATH instead of / (a copy or a fake tree)
  --username U --password P
  --mqtt-version V     5 (default) or 3.1.1`

/** `thermopost agent`: finds the sensors, says what it looked for if there are none, publishes them until stopped. */
export async function runAgentCommand (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', multiple: true },
      site: { type: 'string' },
      interval: { type: 'string', default: '10s' },
      'sysfs-root': { type: 'string', default: '/' },
      username: { type: 'string' },
      password: { type: 'string' },
      'mqtt-version': { type: 'string', default: '5' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    console.log(agentUsage)
    return
  }
  const urls = values.url ?? ['mqtt://127.0.0.1:1883']
  const bad = urls.find((url) => !/^(mqtts?|wss?):\/\/[^/]+/.test(url))
  if (bad !== undefined) throw new UsageError(`--url must look like mqtt://HOST:PORT (or mqtts://, ws://, wss://), not '${bad}'`)
  const site = values.site ?? hostname()
  if (!isName(site)) throw new UsageError(`--site must be one topic level (no '/', '+' or '#'), not '${site}'`)
  const version = values['mqtt-version']
  if (version !== '5' && version !== '3.1.1') throw new UsageError(`--mqtt-version must be 5 or 3.1.1, not '${version}'`)
  if ((values.username === undefined) !== (values.password === undefined)) throw new UsageError('--username and --password go together')
  const interval = intervalSeconds(values.interval!)

  const root = values['sysfs-root']!
  const { sensors, searches } = await discoverSensors(root)
  if (sensors.length === 0) throw new CommandError(`no temperature sensors found; looked for:\n${describeSearches(searches)}`)

  const logger = createLogger('agent')
  const options: AgentOptions = {
    urls,
    site,
    interval,
    sensors,
    mqttVersion: version === '5' ? 5 : 4,
    username: values.username,
    password: values.password,
    onReadFailure: (sensor, error) => logger.warn({ sensor: sensor.id }, `${sensor.label}: ${error.message}`),
    onReadRecovery: (sensor) => logger.info({ sensor: sensor.id, failures: sensor.failures }, `${sensor.label}: reading again`)
  }
  const agent = new Agent(options)
  agent.start()
  for (const sensor of sensors) logger.info({ sensor: sensor.id, model: sensor.model, source: sensor.source }, sensor.label)
  logger.info({ urls, site, interval }, `publishing ${sensors.length} sensor(s) as thermopost/${site}/<sensor>`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info(`${signal}: publishing offline and disconnecting`)
    agent.stop().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'stop failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

/** `10s`, `500ms`, `2m`, or a bare number of seconds, within what the interval command accepts. */
function intervalSeconds (text: string): number {
  const match = /^(\d*\.?\d+)(ms|s|m)?$/.exec(text)
  const unit = { ms: 0.001, s: 1, m: 60 }[match?.[2] ?? 's'] ?? 1
  const seconds = match === null ? NaN : Number(match[1]) * unit
  const { min, max } = INTERVAL_RANGE
  if (!(seconds >= min && seconds <= max)) throw new UsageError(`--interval must be a time from ${min * 1000}ms to ${max}s, like 10s, 500ms or 1m, not '${text}'`)
  return seconds
}
