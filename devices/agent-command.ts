import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { closeOnSignals } from '../common/close-on-signals.js'
import { CommandError, UsageError } from '../common/command-errors.js'
import { INTERVAL_RANGE } from '../common/contract/command.js'
import { isName } from '../common/contract/topics.js'
import { durationSeconds, linkFlagOptions, linkFlagsUsage, linkSettingsFrom } from '../common/link-flags.js'
import { createLogger } from '../common/log.js'
import { Agent, type AgentOptions } from './agent.js'
import { DEFAULT_DISCOVERY_PREFIX } from './home-assistant.js'
import { discoveryPrefix, noDiscoveryFlag } from './home-assistant-flags.js'
import { describeSearches, discoverSensors } from './sensors/discover-sensors.js'

/** `thermopost agent`: its flags and usage, and the run that publishes this machine's sensors (Agent). */

export const agentUsage = `Usage: thermopost agent [--url mqtt://HOST:PORT ...] [options]

Publishes this machine's temperature sensors, each as a device (thermopost/SITE/SENSOR-ID/...), until
SIGINT or SIGTERM. It reads Linux thermal zones (/sys/class/thermal/thermal_zone*/temp), hwmon chips
(/sys/class/hwmon/hwmon*/temp*_input) and DS18B20 1-wire probes (/sys/bus/w1/devices/28-*/w1_slave),
and takes the interval command.
  --site NAME          the site the sensors are published under (default: this host's name)
  --interval TIME      between readings: 10s (default), 500ms, 1m
  --sysfs-root PATH    read sysfs under PATH instead of / (a copy or a fake tree)
  --ha-prefix P        Home Assistant's discovery prefix (default homeassistant): each sensor is announced
                       there as a temperature sensor, retained, and again when P/status says online
  --no-ha-discovery    publish no Home Assistant discovery
${linkFlagsUsage}`

/** `thermopost agent`: finds the sensors, says what it looked for if there are none, publishes them until stopped. */
export async function runAgentCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...linkFlagOptions,
      site: { type: 'string' },
      interval: { type: 'string', default: '10s' },
      'sysfs-root': { type: 'string', default: '/' },
      'ha-prefix': { type: 'string', default: DEFAULT_DISCOVERY_PREFIX },
      ...noDiscoveryFlag,
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    console.log(agentUsage)
    return
  }
  const { urls, mqttVersion, username, password } = linkSettingsFrom(values)
  const site = values.site ?? hostname()
  if (!isName(site)) throw new UsageError(`--site must be one topic level (no '/', '+' or '#'), not '${site}'`)
  const interval = durationSeconds(values.interval!, '--interval', INTERVAL_RANGE.min, INTERVAL_RANGE.max)
  const prefix = discoveryPrefix.safeParse(values['ha-prefix'])
  if (!prefix.success) throw new UsageError(`--ha-prefix ${prefix.error.issues[0]!.message}, not '${values['ha-prefix']}'`)
  const homeAssistantPrefix = values['no-ha-discovery'] === true ? undefined : prefix.data

  const root = values['sysfs-root']!
  const { sensors, searches } = await discoverSensors(root)
  if (sensors.length === 0) throw new CommandError(`no temperature sensors found; looked for:\n${describeSearches(searches)}`)

  const logger = createLogger('agent')
  const options: AgentOptions = {
    urls,
    site,
    interval,
    sensors,
    mqttVersion,
    username,
    password,
    homeAssistantPrefix,
    onReadFailure: (sensor, error) => logger.warn({ sensor: sensor.id }, `${sensor.label}: ${error.message}`),
    onReadRecovery: (sensor) => logger.info({ sensor: sensor.id, failures: sensor.failures }, `${sensor.label}: reading again`)
  }
  const agent = new Agent(options)
  // Stopping publishes every sensor's status as offline, then disconnects. It is wired before the lines that
  // say the agent runs, so a SIGTERM sent on reading them finds the handler in place.
  closeOnSignals(logger, () => agent.stop())
  agent.start()
  for (const sensor of sensors) logger.info({ sensor: sensor.id, model: sensor.model, source: sensor.source }, sensor.label)
  logger.info(
    { urls, site, interval, homeAssistantPrefix },
    `publishing ${sensors.length} sensor(s) as thermopost/${site}/<sensor>${homeAssistantPrefix === undefined ? '' : `, announced to Home Assistant under ${homeAssistantPrefix}/`}`
  )
}
