import { type BrokerName, isNoDelayVariant } from './broker-variants.js'

/**
 * The in-flight window and queue length a scenario gives every broker for every client's session (see
 * `Scenario.limits`), as `thermopost start` does for the broker that feeds the service. Without one,
 * each broker keeps its own in-flight default (thermopost 100, Mosquitto 20, Aedes none) and gets
 * only QUEUE_LIMIT.
 */
export interface BrokerLimits {
  maxInflight: number
  maxQueuedMessages: number
}

/**
 * The one setting every peer gets beyond its defaults: a queue per client that never fills in a bench
 * run. Full queues drop messages (thermopost's default is 1000 messages or 16 MB, Mosquitto's 1000,
 * and Mosquitto 2.0 counts QoS 0 messages waiting to be written against it too), and a dropped
 * message would show up as a higher rate rather than as the backlog it is. Aedes has no such queue:
 * it writes into the socket's stream, which never drops.
 */
const QUEUE_LIMIT = { messages: 1_000_000, thermopostBytes: 4 * 2 ** 30 }

/**
 * Node's flags for a thermopost broker a bench starts: THERMOPOST_BENCH_PROFILE=DIR writes a V8 CPU profile of it
 * there (NODE_OPTIONS may not carry --cpu-prof).
 */
export function cpuProfileArgs(): string[] {
  const dir = process.env.THERMOPOST_BENCH_PROFILE
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

/** thermopost's command-line flags beyond its defaults. It sets TCP_NODELAY on every socket and has no flag for it. */
export function thermopostLimitArgs(limits: BrokerLimits | undefined): string[] {
  return [
    ...(limits === undefined ? [] : ['--max-inflight', String(limits.maxInflight)]),
    '--max-queued-messages',
    String(limits?.maxQueuedMessages ?? QUEUE_LIMIT.messages),
    '--max-queued-bytes',
    String(QUEUE_LIMIT.thermopostBytes)
  ]
}

/**
 * Mosquitto's configuration lines beyond its defaults (Nagle on, max_inflight_messages 20):
 * - max_queued_messages QUEUE_LIMIT.messages (default 1000); for mosquitto-persist 0, which in
 *   Mosquitto 2.0 means no limit at all (not "queue nothing"): the offline-queue scenario queues 1000
 *   messages for each of 1000 sessions. `persistence true` there, its directory given per run;
 * - a scenario's own limits, where it names them (see BrokerLimits);
 * - `set_tcp_nodelay true` for the -nodelay variants only.
 */
export function mosquittoSettings(name: BrokerName, limits: BrokerLimits | undefined): string[] {
  const persistent = name.startsWith('mosquitto-persist')
  return [
    ...(limits === undefined ? [] : [`max_inflight_messages ${limits.maxInflight}`]),
    `max_queued_messages ${limits?.maxQueuedMessages ?? (persistent ? 0 : QUEUE_LIMIT.messages)}`,
    ...(persistent ? ['persistence true'] : []),
    ...(isNoDelayVariant(name) ? ['set_tcp_nodelay true'] : [])
  ]
}

/** aedes-server.ts's second argument: Aedes itself has no limit to raise, only how its server treats Nagle. */
export function aedesNagleArg(name: BrokerName): 'nagle' | 'nodelay' {
  return isNoDelayVariant(name) ? 'nodelay' : 'nagle'
}

/** What `name` runs with beyond its own defaults, as its configuration spells it, for the bench's output. */
export function settingsBeyondDefaults(name: BrokerName, limits?: BrokerLimits): string {
  const settings = name.startsWith('thermopost')
    ? pairs(thermopostLimitArgs(limits))
    : name.startsWith('mosquitto')
      ? mosquittoSettings(name, limits)
      : aedesNagleArg(name) === 'nodelay'
        ? ['createServer({ noDelay: true })']
        : []
  return settings.length === 0 ? 'its defaults' : settings.join(', ')
}

/** ['--a', '1', '--b', '2'] → ['--a 1', '--b 2']. */
function pairs(args: readonly string[]): string[] {
  return args.flatMap((arg, index) => (index % 2 === 0 ? [`${arg} ${args[index + 1]}`] : []))
}
