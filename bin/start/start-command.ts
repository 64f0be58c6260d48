import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { CommandError, UsageError } from '../../common/command-errors.js'
import { DEFAULT_DISCOVERY_PREFIX } from '../../devices/home-assistant.js'
import { discoveryPrefix } from '../../devices/home-assistant-flags.js'
import { checkConfigSections } from './config-sections.js'
import { type DataDir, markCredentialsShown, prepareDataDir } from './first-start.js'
import { freePort } from './free-port.js'
import { formatLogLine } from './log-line.js'
import { brokerUrls, partSpecs, type StartSettings } from './part-specs.js'
import { type PartFailedError, type PartSpec, SupervisedPart } from './supervised-part.js'

/**
 * `thermopost start`, the all-in-one supervisor behind `npm start`: reads its flags, prepares the data
 * directory (logins on the first start), starts every part as a child process (part-specs.ts says how) and
 * keeps them running, then prints where the dashboard is. It sits in bin/ because only it and
 * bin/thermopost.ts know every part.
 */

export const startUsage = `Usage: thermopost start [--data-dir DIR] [--mqtt-port PORT] [--http-port PORT] [--devices N] [--nodes N] [--config FILE]

Runs the whole product on embedded defaults: the broker, the service (history in SQLite), the dashboard
and a simulator with a few thermostats, as child processes of this one. Ctrl-C stops them all. A part that
dies is restarted with a growing delay; after 5 restarts in a row it is given up and its last output shown.
  --data-dir DIR    everything kept: broker state, history, credentials (default ./data; env THERMOPOST_DATA_DIR)
  --mqtt-port PORT  the broker, on 127.0.0.1 only (default 1883; env THERMOPOST_MQTT_PORT; 0 = a free port)
  --http-port PORT  the dashboard and the API, on 127.0.0.1 (default 8080; env THERMOPOST_HTTP_PORT; 0 = free)
  --devices N       simulated thermostats (default 4; 0 = no simulator; env THERMOPOST_DEVICES)
  --nodes N         broker nodes (default 1; env THERMOPOST_NODES): more than one run as a cluster on a local
                    Redis (Debian's redis-server) on a free loopback port, node K on the MQTT port + K - 1
  --time-scale N    the simulated rooms warm and cool N times faster than real time (default 10)
  --ha-prefix P     Home Assistant's discovery prefix the thermostats are announced under (default homeassistant)
  --no-ha-discovery announce no thermostat to Home Assistant
  --config FILE     one YAML file with a section per part (broker:, service:, simulator:); default
                    ./thermopost.yaml when it exists. Each part checks its own section.

On the first start it generates, in the data directory, MQTT logins for the service, the simulator and
an admin, and the API token, and prints them once; later starts print where they are. The broker's admin
listener (the first node's) is on a free loopback port, its token in DIR/broker/admin-token; the service
relays it to the dashboard's Broker page.`

export async function runStartCommand(args: string[]): Promise<void> {
  const settings = await startSettingsFrom(args)
  if (settings === undefined) {
    console.log(startUsage)
    return
  }
  if (settings.config !== undefined) await checkConfigSections(settings.config)
  let data: DataDir
  try {
    data = await prepareDataDir(settings.dataDir, settings.haPrefix)
  } catch (error) {
    throw new CommandError((error as Error).message)
  }
  const dashboardUrl = await superviseParts(await partSpecs(settings, data))
  console.log(welcome(data, dashboardUrl, settings))
  if (data.showCredentials) await markCredentialsShown(data)
}

/** The flags (and their environment variables), checked; undefined for --help. Port 0 is resolved to a free port here. */
async function startSettingsFrom(args: string[]): Promise<StartSettings | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: process.env.THERMOPOST_DATA_DIR ?? './data' },
      'mqtt-port': { type: 'string', default: process.env.THERMOPOST_MQTT_PORT ?? '1883' },
      'http-port': { type: 'string', default: process.env.THERMOPOST_HTTP_PORT ?? '8080' },
      devices: { type: 'string', default: process.env.THERMOPOST_DEVICES ?? '4' },
      nodes: { type: 'string', default: process.env.THERMOPOST_NODES ?? '1' },
      'time-scale': { type: 'string', default: '10' },
      'ha-prefix': { type: 'string', default: DEFAULT_DISCOVERY_PREFIX },
      'no-ha-discovery': { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help === true) return undefined
  const host = '127.0.0.1'
  const nodes = Number(values.nodes)
  if (!/^\d+$/.test(values.nodes!) || nodes < 1 || nodes > MAX_NODES)
    throw new UsageError(`--nodes must be a whole number from 1 to ${MAX_NODES}, not '${values.nodes}'`)
  const mqttPorts = await nodePorts(values['mqtt-port']!, nodes, host)
  const httpPort = await portFrom(values['http-port']!, '--http-port', host)
  const devices = Number(values.devices)
  if (!/^\d+$/.test(values.devices!) || devices > 10_000)
    throw new UsageError(`--devices must be a whole number from 0 to 10000, not '${values.devices}'`)
  const timeScale = Number(values['time-scale'])
  if (!(timeScale > 0)) throw new UsageError(`--time-scale must be a positive number, not '${values['time-scale']}'`)
  const config = values.config ?? (existsSync('thermopost.yaml') ? 'thermopost.yaml' : undefined)
  if (config !== undefined && !existsSync(config)) throw new CommandError(`cannot read the config file ${config}: it does not exist`)
  const redisPort = nodes > 1 ? await freePort(host) : undefined
  const adminPort = await freePort(host)
  const haPrefix = values['no-ha-discovery'] === true ? false : values['ha-prefix']!
  const prefixProblem = haPrefix === false ? undefined : discoveryPrefix.safeParse(haPrefix).error?.issues[0]?.message
  if (prefixProblem !== undefined) throw new UsageError(`--ha-prefix ${prefixProblem}, not '${haPrefix}'`)
  return { dataDir: resolve(values['data-dir']!), host, httpPort, mqttPorts, adminPort, redisPort, devices, timeScale, haPrefix, config }
}

/** A local cluster is for trying failover on one machine; more nodes than this only share its cores thinner. */
const MAX_NODES = 9

/** Node K listens on the MQTT port + K - 1, or each on a free port when the port is 0. */
async function nodePorts(text: string, nodes: number, host: string): Promise<number[]> {
  const first = await portFrom(text, '--mqtt-port', host)
  if (text !== '0' && first + nodes - 1 > 65535) throw new UsageError(`--mqtt-port ${first} leaves no room for ${nodes} nodes`)
  const ports = [first]
  for (let node = 2; node <= nodes; node++) ports.push(text === '0' ? await freePort(host) : first + node - 1)
  return ports
}

/**
 * Starts the parts in order, each once the one before it is ready, and keeps them running; SIGINT / SIGTERM
 * stop them all. Resolves with the dashboard's URL, from the service's ready line.
 */
async function superviseParts(specs: readonly PartSpec[]): Promise<string> {
  const width = Math.max(...specs.map((spec) => spec.name.length))
  const parts = specs.map(
    (spec) =>
      new SupervisedPart(spec, {
        line: (part, line) => console.log(formatLogLine(part, line, width)),
        notice: (part, message) => console.log(formatLogLine(part, `[supervisor] ${message}`, width)),
        failed: (error: PartFailedError) => console.error(`thermopost: ${error.message}`)
      })
  )

  let stopping = false
  const stopAll = async (): Promise<void> => {
    stopping = true
    // The reverse of the start order: devices go offline first, the broker last.
    for (const part of [...parts].reverse()) await part.stop()
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return
      console.log(`${signal}: stopping every part`)
      stopAll().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    })
  }

  let dashboardUrl = ''
  for (const part of parts) {
    try {
      const match = await part.start()
      if (part.spec.name === 'service') dashboardUrl = match[1]!
    } catch (error) {
      await stopAll()
      throw new CommandError((error as Error).message)
    }
  }
  return dashboardUrl
}

function welcome(data: DataDir, dashboardUrl: string, settings: StartSettings): string {
  const { credentials } = data
  const urls = brokerUrls(settings)
  const lines = ['', `  thermopost is running. Dashboard: ${dashboardUrl}`]
  if (settings.redisPort === undefined) lines.push(`  MQTT broker: ${urls[0]} (loopback only)`)
  else {
    lines.push(`  MQTT broker nodes: ${urls.join(', ')} (loopback only)`)
    lines.push(`  Cluster state: redis://${settings.host}:${settings.redisPort} (append-only, fsync always)`)
  }
  if (data.showCredentials) {
    lines.push(
      `  Logins (shown on this first successful start; kept in ${data.credentialsFile}, mode 0600):`,
      `    dashboard / API token: ${credentials.apiToken}`,
      `    MQTT admin:            ${credentials.admin.username} / ${credentials.admin.password}`
    )
  } else {
    lines.push(`  Logins (API token, MQTT admin): ${data.credentialsFile}`)
  }
  lines.push('  Ctrl-C stops everything.', '')
  return lines.join('\n')
}

async function portFrom(text: string, flag: string, host: string): Promise<number> {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${flag} must be a number from 0 to 65535, not '${text}'`)
  return port === 0 ? freePort(host) : port
}
