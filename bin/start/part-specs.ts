import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { BROKER_NODE_FLAGS } from '../../broker/node-flags.js'
import { brokerAdminLink } from './broker-admin-link.js'
import { clusterNodeFlags, redisSpec } from './cluster-parts.js'
import type { DataDir } from './first-start.js'
import type { PartSpec } from './supervised-part.js'

/**
 * How `thermopost start` runs each part: the command lines of the broker, the service and the simulator,
 * child processes of the supervisor, all on loopback with the data directory's logins (passwords through the
 * environment, never argv) and each with its own section of the one config file.
 */

/** What `thermopost start` was asked for, its flags checked (start-command.ts). */
export interface StartSettings {
  dataDir: string
  /** Every part listens on this address only. */
  host: string
  httpPort: number
  /** The MQTT port of each broker node, first to last; more than one node run as a cluster on a local Redis. */
  mqttPorts: number[]
  /** The broker's admin listener, on this address, for the dashboard's Broker page (the first node's, in a cluster). */
  adminPort: number
  /** Where the cluster's local Redis listens; undefined for a single broker. */
  redisPort: number | undefined
  /** Simulated thermostats; 0 runs no simulator. */
  devices: number
  timeScale: number
  /** Home Assistant's discovery prefix the simulated thermostats are announced under; false: no discovery. */
  haPrefix: string | false
  /** The YAML file with a section per part, when there is one. */
  config: string | undefined
}

const thermopostBin = fileURLToPath(new URL('../thermopost.js', import.meta.url))

/** A part that is a command of this same `thermopost`, run by this same node (with `nodeFlags` before the script). */
function thermopostPart(
  name: string,
  args: string[],
  outcome: Pick<PartSpec, 'env' | 'ready'>,
  nodeFlags: readonly string[] = []
): PartSpec {
  return { name, command: process.execPath, args: [...nodeFlags, thermopostBin, ...args], ...outcome }
}

/** Where the service and the simulator connect: every broker node, so they fail over between them. */
export function brokerUrls({ host, mqttPorts }: Pick<StartSettings, 'host' | 'mqttPorts'>): string[] {
  return mqttPorts.map((port) => `mqtt://${host}:${port}`)
}

/**
 * The parts in start order: the cluster's Redis (with more than one node), each broker node, the service, and
 * the simulator when there are devices to simulate.
 */
export async function partSpecs(settings: StartSettings, data: DataDir): Promise<PartSpec[]> {
  const { config, host, redisPort } = settings
  const section = (name: string): string[] => (config === undefined ? [] : ['--config', config, '--section', name])
  const brokerSection = config === undefined ? {} : await sectionKeys(config, 'broker')
  const brokerFlags = [...serviceFriendlyBrokerFlags(brokerSection), ...section('broker')]
  const specs: PartSpec[] = []
  if (redisPort !== undefined) specs.push(await redisSpec(host, redisPort, data.dir))
  const nodeOf = (index: number) => (redisPort === undefined ? undefined : { number: index + 1, redisPort })
  const admin = brokerAdminLink(host, settings.adminPort, join(data.dir, brokerName(nodeOf(0))), brokerSection)
  settings.mqttPorts.forEach((port, index) => {
    if (index > 0) specs.push(brokerSpec(host, port, nodeOf(index), data, brokerFlags))
    else specs.push({ ...brokerSpec(host, port, nodeOf(0), data, [...admin.brokerFlags, ...brokerFlags]), ready: admin.ready })
  })
  specs.push(serviceSpec(settings, data, [...admin.serviceFlags, ...section('service')], admin.serviceEnv))
  if (settings.devices > 0) specs.push(simulatorSpec(settings, data, section('simulator')))
  return specs
}

/** `broker`, or `broker-K` for node K of a cluster. */
function brokerName(node: { number: number } | undefined): string {
  return node === undefined ? 'broker' : `broker-${node.number}`
}

/** One broker: the only one (`node` undefined), or node `node.number` of a cluster on the local Redis. */
function brokerSpec(
  host: string,
  port: number,
  node: { number: number; redisPort: number } | undefined,
  data: DataDir,
  extraArgs: string[]
): PartSpec {
  const name = brokerName(node)
  return thermopostPart(
    name,
    [
      'broker',
      '--host',
      host,
      '--port',
      String(port),
      '--data-dir',
      join(data.dir, name),
      '--password-file',
      data.passwordFile,
      '--acl-file',
      data.aclFile,
      ...(node === undefined ? [] : clusterNodeFlags(host, node.redisPort, node.number)),
      ...extraArgs
    ],
    { ready: /listening on mqtt:\/\/\S+?:\d+/ },
    BROKER_NODE_FLAGS
  )
}

/** `--url` once per broker node. */
function urlFlags(settings: StartSettings): string[] {
  return brokerUrls(settings).flatMap((url) => ['--url', url])
}

function serviceSpec(settings: StartSettings, data: DataDir, extraArgs: string[], extraEnv: Record<string, string>): PartSpec {
  const { host, httpPort } = settings
  return thermopostPart(
    'service',
    [
      'service',
      ...urlFlags(settings),
      '--username',
      data.credentials.service.username,
      '--http-host',
      host,
      '--http-port',
      String(httpPort),
      '--data-dir',
      join(data.dir, 'service'),
      ...extraArgs
    ],
    {
      env: {
        THERMOPOST_MQTT_PASSWORD: data.credentials.service.password,
        THERMOPOST_API_TOKEN: data.credentials.apiToken,
        ...extraEnv
      },
      ready: /listening on (https?:\/\/[^\s"]+)/
    }
  )
}

function simulatorSpec(settings: StartSettings, data: DataDir, extraArgs: string[]): PartSpec {
  const { devices, timeScale } = settings
  return thermopostPart(
    'simulator',
    [
      'simulate',
      ...urlFlags(settings),
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
      ...(settings.haPrefix === false ? ['--no-ha-discovery'] : ['--ha-prefix', settings.haPrefix]),
      ...extraArgs
    ],
    {
      env: { THERMOPOST_MQTT_PASSWORD: data.credentials.simulator.password },
      ready: /simulating \d+ thermostat/
    }
  )
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
