import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { CommandError, UsageError } from '../../common/command-errors.js'
import { type DataDir, prepareDataDir } from './first-start.js'
import { freePort } from './free-port.js'
import { formatLogLine } from './log-line.js'
import { type PartFailedError, type PartSpec, SupervisedPart } from './supervised-part.js'

export const startUsage = `Usage: thermopost start [--data-dir DIR] [--mqtt-port PORT] [--http-port PORT] [--devices N] [--config FILE]

Runs the whole product on embedded defaults: the broker, the service (history in SQLite), the dashboard
and a simulator with a few thermostats, as child processes of this one. Ctrl-C stops them all. A part that
dies is restarted with a growing delay; after 5 restarts in a row it is given up and its last output shown.
  --data-dir DIR    everything kept: broker state, history, credentials (default ./data; env THERMOPOST_DATA_DIR)
  --mqtt-port PORT  the broker, on 127.0.0.1 only (default 1883; env THERMOPOST_MQTT_PORT; 0 = a free port)
  --http-port PORT  the dashboard and the API, on 127.0.0.1 (default 8080; env THERMOPOST_HTTP_PORT; 0 = free)
  --devices N       simulated thermostats (default 4; 0 = no simulator; env THERMOPOST_DEVICES)
  --time-scale N    the simulated rooms warm and cool N times faster than real time (default 10)
  --config FILE     one YAML file with a section per part (broker:, service:, simulator:); default
                    ./thermopost.yaml when it exists. Each part checks its own section.

On the first start it generates, in the data directory, MQTT logins for the service, the simulator and
an admin, and the API token, and prints them once; later starts print where they are.`

const thermopostBin = fileURLToPath(new URL('../../bin/thermopost.js', import.meta.url))

/** `thermopost start`: the all-in-one supervisor behind `npm start`. */
export async function runStartCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: process.env.THERMOPOST_DATA_DIR ?? './data' },
      'mqtt-port': { type: 'string', default: process.env.THERMOPOST_MQTT_PORT ?? '1883' },
      'http-port': { type: 'string', default: process.env.THERMOPOST_HTTP_PORT ?? '8080' },
      devices: { type: 'string', default: process.env.THERMOPOST_DEVICES ?? '4' },
      'time-scale': { type: 'string', default: '10' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help === true) {
    console.log(startUsage)
    return
  }
  const host = '127.0.0.1'
  const mqttPort = await portFrom(values['mqtt-port']!, '--mqtt-port', host)
  const httpPort = await portFrom(values['http-port']!, '--http-port', host)
  const devices = Number(values.devices)
  if (!/^\d+$/.test(values.devices!) || devices > 10_000)
    throw new UsageError(`--devices must be a whole number from 0 to 10000, not '${values.devices}'`)
  const timeScale = Number(values['time-scale'])
  if (!(timeScale > 0)) throw new UsageError(`--time-scale must be a positive number, not '${values['time-scale']}'`)
  const config = values.config ?? (existsSync('thermopost.yaml') ? 'thermopost.yaml' : undefined)
  if (config !== undefined && !existsSync(config)) throw new CommandError(`cannot read the config file ${config}: it does not exist`)

  let data: DataDir
  try {
    data = await prepareDataDir(resolve(values['data-dir']!))
  } catch (error) {
    throw new CommandError((error as Error).message)
  }
  const brokerUrl = `mqtt://${host}:${mqttPort}`
  const section = (name: string): string[] => (config === undefined ? [] : ['--config', config, '--section', name])
  const brokerSection = config === undefined ? {} : await sectionKeys(config, 'broker')
  const specs: PartSpec[] = [
    {
      name: 'broker',
      command: process.execPath,
      args: [
        thermopostBin,
        'broker',
        '--host',
        host,
        '--port',
        String(mqttPort),
        '--data-dir',
        join(data.dir, 'broker'),
        '--password-file',
        data.passwordFile,
        '--acl-file',
        data.aclFile,
        ...serviceFriendlyBrokerFlags(brokerSection),
        ...section('broker')
      ],
      ready: /listening on mqtt:\/\/\S+?:\d+/
    },
    {
      name: 'service',
      command: process.execPath,
      args: [
        thermopostBin,
        'service',
        '--url',
        brokerUrl,
        '--username',
        data.credentials.service.username,
        '--http-host',
        host,
        '--http-port',
        String(httpPort),
        '--data-dir',
        join(data.dir, 'service'),
        ...section('service')
      ],
      env: { THERMOPOST_MQTT_PASSWORD: data.credentials.service.password, THERMOPOST_API_TOKEN: data.credentials.apiToken },
      ready: /listening on (https?:\/\/[^\s"]+)/
    }
  ]
  if (devices > 0) {
    specs.push({
      name: 'simulator',
      command: process.execPath,
      args: [
        thermopostBin,
        'simulate',
        '--url',
        brokerUrl,
        '--devices',
        String(devices),
        '--username',
        data.credentials.simulator.username,
        '--time-scale',
        String(timeScale),
        '--sites',
        String(Math.min(2, devices)),
        '--report',
        '60s',
        ...section('simulator')
      ],
      env: { THERMOPOST_MQTT_PASSWORD: data.credentials.simulator.password },
      ready: /simulating \d+ thermostat/
    })
  }

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
  console.log(welcome(data, dashboardUrl, brokerUrl))
}

/**
 * Broker limits for a broker that feeds the service: the service acknowledges a reading only once it is
 * stored, so a wider in-flight window keeps ingest fast, and its session must be able to hold the readings
 * of a long service restart (2 000 readings/s for a minute is 120 000) instead of dropping them. Given as
 * flags, so only where the config file's broker section does not set them (a flag would win over it).
 */
const serviceFriendlyBroker: Record<string, string> = {
  max_inflight: '1000',
  max_queued_messages: '500000',
  max_queued_bytes: String(256 * 2 ** 20)
}

export function serviceFriendlyBrokerFlags(section: Record<string, unknown>): string[] {
  return Object.entries(serviceFriendlyBroker)
    .filter(([key]) => !(key in section))
    .flatMap(([key, value]) => [`--${key.replace(/_/g, '-')}`, value])
}

/** The keys of one section of the config file; the part itself checks them (and reports mistakes with lines). */
async function sectionKeys(file: string, name: string): Promise<Record<string, unknown>> {
  try {
    const whole: unknown = parse(await readFile(file, 'utf8'))
    const section = (whole as Record<string, unknown> | null)?.[name]
    return section !== null && typeof section === 'object' ? (section as Record<string, unknown>) : {}
  } catch {
    return {} // not YAML: the broker's own reading of the file says what is wrong, with the line
  }
}

function welcome(data: DataDir, dashboardUrl: string, brokerUrl: string): string {
  const { credentials } = data
  const lines = ['', `  thermopost is running. Dashboard: ${dashboardUrl}`, `  MQTT broker: ${brokerUrl} (loopback only)`]
  if (data.firstStart) {
    lines.push(
      '  First start: logins generated (shown this once; kept in ' + data.credentialsFile + ', mode 0600):',
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
