import { booleanValue, integerValue, stringValue } from './directive-values.js'
import type { MosquittoDirective } from './mosquitto-conf-lines.js'
import type { BridgeDraft, MosquittoConversion } from './mosquitto-conversion.js'

/**
 * The directives of a Mosquitto bridge (mosquitto.conf(5), "Configuring Bridges"), each applied to the bridge its
 * `connection` line started: those with a counterpart set the key of our `bridges:` entry (config/bridges.ts);
 * those that change nothing the brokers' clients see are skipped with a note; the rest are refused with why.
 */
export type BridgeDirectiveHandler = (directive: MosquittoDirective, conversion: MosquittoConversion, bridge: BridgeDraft) => void

/** Mosquitto's port when an address names none. */
const DEFAULT_PORT = 1883

function key(ourKey: string, read: (directive: MosquittoDirective, conversion: MosquittoConversion) => unknown): BridgeDirectiveHandler {
  return (directive, conversion, bridge) => {
    const value = read(directive, conversion)
    if (value !== undefined) bridge.keys.set(ourKey, { value, origin: directive })
  }
}

function ignored(why: string): BridgeDirectiveHandler {
  return (directive, conversion) => conversion.note(directive, `ignored: ${why}`)
}

function refused(why: string): BridgeDirectiveHandler {
  return (directive, conversion) => conversion.refuse(directive, `${directive.name}: ${why}`)
}

/** A TLS file: Mosquitto turns TLS on for the bridge when it has a CA (bridge_cafile). */
function tlsFile(ourKey: 'cafile' | 'cert' | 'key'): BridgeDirectiveHandler {
  const set = key(ourKey, stringValue)
  return (directive, conversion, bridge) => {
    set(directive, conversion, bridge)
    if (ourKey === 'cafile') bridge.tls = true
  }
}

/** `host[:port] ...` as Mosquitto splits it: the port after the last colon (an IPv6 address must give one). */
function addresses(directive: MosquittoDirective, conversion: MosquittoConversion): string[] | undefined {
  if (directive.words.length === 0) {
    conversion.refuse(directive, `${directive.name} needs at least one host[:port]`)
    return undefined
  }
  const hosts: string[] = []
  for (const word of directive.words) {
    const colon = word.lastIndexOf(':')
    const host = colon === -1 ? word : word.slice(0, colon)
    const port = colon === -1 ? DEFAULT_PORT : Number(word.slice(colon + 1))
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      conversion.refuse(directive, `${directive.name}: '${word}' is not host[:port]`)
      return undefined
    }
    hosts.push(`${host.includes(':') ? `[${host}]` : host}:${port}`)
  }
  return hosts
}

/** `restart_timeout constant` or `restart_timeout base cap`, in seconds. */
const restartTimeout: BridgeDirectiveHandler = (directive, conversion, bridge) => {
  const [base, cap, ...more] = directive.words.map(Number)
  const seconds = (value: number | undefined): boolean => value !== undefined && Number.isInteger(value) && value > 0
  if (more.length > 0 || !seconds(base) || (cap !== undefined && !(seconds(cap) && cap >= base!))) {
    conversion.refuse(directive, `restart_timeout takes a number of seconds, or a base and a cap no smaller, not '${directive.rest}'`)
    return
  }
  bridge.keys.set('restart_delay', { value: base, origin: directive })
  bridge.keys.set('restart_delay_max', { value: cap ?? base, origin: directive })
  if (cap === undefined)
    conversion.note(directive, `the wait is drawn between ${base! / 2} and ${base} s (jitter), where Mosquitto waits ${base} s exactly`)
}

const topic: BridgeDirectiveHandler = (directive, conversion, bridge) => {
  const words = directive.words.map((word) => (word === '""' ? '' : word))
  const [pattern, direction = 'out', qos = '0', localPrefix = '', remotePrefix = ''] = words
  const problem = topicProblem(words, direction, qos, localPrefix, remotePrefix)
  if (problem !== undefined) {
    conversion.refuse(directive, `topic ${directive.rest}: ${problem}`)
    return
  }
  const entry: Record<string, unknown> = { pattern, direction, qos: Number(qos) }
  if (localPrefix !== '') entry.local_prefix = localPrefix
  if (remotePrefix !== '') entry.remote_prefix = remotePrefix
  bridge.topics.push({ value: entry, origin: directive })
}

/** What is wrong with a topic line, by Mosquitto's rules (its table of valid prefixes among them). */
function topicProblem(words: string[], direction: string, qos: string, localPrefix: string, remotePrefix: string): string | undefined {
  if (words.length === 0 || words.length > 5) return 'takes a pattern, then optionally in, out or both, a QoS and two prefixes'
  if (!['in', 'out', 'both'].includes(direction)) return `the direction is in, out or both, not '${direction}'`
  if (!['0', '1', '2'].includes(qos)) return `the QoS is 0, 1 or 2, not '${qos}'`
  if (words[0] === '' && (localPrefix === '' || remotePrefix === '')) return 'an empty pattern needs both a local and a remote prefix'
  return undefined
}

/** A switch remembered for the checks made once the whole section is read (bridge-entry.ts). */
function remembered(field: 'localCleanSession' | 'roundRobin' | 'notifications' | 'tryPrivate'): BridgeDirectiveHandler {
  return (directive, conversion, bridge) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined) bridge[field] = { value, origin: directive }
  }
}

const noPsk = refused('thermopost has no TLS pre-shared keys')

export const bridgeDirectives: Record<string, BridgeDirectiveHandler> = {
  address: key('address', addresses),
  addresses: key('address', addresses),
  topic,
  bridge_protocol_version: (directive, conversion, bridge) => {
    const version = { mqttv311: '3.1.1', mqttv50: 5 }[directive.rest]
    if (version !== undefined) bridge.keys.set('protocol_version', { value: version, origin: directive })
    else conversion.refuse(directive, `bridge_protocol_version ${directive.rest}: thermopost bridges speak mqttv311 or mqttv50`)
  },
  remote_clientid: key('client_id', stringValue),
  clientid: key('client_id', stringValue),
  cleansession: key('clean_start', booleanValue),
  remote_username: key('username', stringValue),
  username: key('username', stringValue),
  remote_password: key('password', stringValue),
  password: key('password', stringValue),
  bridge_cafile: tlsFile('cafile'),
  bridge_certfile: tlsFile('cert'),
  bridge_keyfile: tlsFile('key'),
  bridge_insecure: (directive, conversion, bridge) => {
    key('insecure', booleanValue)(directive, conversion, bridge)
    if (bridge.keys.get('insecure')?.value === true)
      conversion.note(
        directive,
        "thermopost's insecure accepts any certificate the remote shows, where Mosquitto's only skips the check of its host name"
      )
  },
  keepalive_interval: key('keepalive', (directive, conversion) => integerValue(directive, conversion, 5, 65_535)),
  restart_timeout: restartTimeout,
  local_cleansession: remembered('localCleanSession'),
  round_robin: remembered('roundRobin'),
  notifications: remembered('notifications'),
  notifications_local_only: ignored("thermopost publishes a bridge's state on this broker only"),
  try_private: remembered('tryPrivate'),
  local_clientid: ignored(
    "the bridge's session on this broker is $bridge/<name>, an id no client may connect with, so it needs no id of its own"
  ),
  local_username: ignored('the bridge is part of this broker, not a client of it: the topic lines alone decide what crosses'),
  local_password: ignored('the bridge is part of this broker, not a client of it: the topic lines alone decide what crosses'),
  bridge_attempt_unsubscribe: ignored('messages of a remote subscription that no topic line asks for any more are not published here'),
  start_type: (directive, conversion) => {
    if (directive.rest !== 'automatic')
      conversion.refuse(
        directive,
        `start_type ${directive.rest}: thermopost starts every bridge with the broker and keeps it up (automatic)`
      )
  },
  threshold: ignored('only for start_type lazy, which thermopost does not have'),
  idle_timeout: ignored('only for start_type lazy, which thermopost does not have'),
  bridge_outgoing_retain: (directive, conversion) => {
    if (booleanValue(directive, conversion) === false)
      conversion.refuse(directive, 'bridge_outgoing_retain false: thermopost forwards the retain flag as it is')
  },
  bridge_max_packet_size: (directive, conversion) => {
    if (integerValue(directive, conversion, 0, 268_435_455) !== 0)
      conversion.refuse(directive, "bridge_max_packet_size: thermopost's bridge sends what the remote's Maximum Packet Size allows")
  },
  bridge_tls_version: (directive, conversion) => {
    if (directive.rest === 'tlsv1.2') conversion.note(directive, 'TLS 1.2 and 1.3 are allowed, as this line asks')
    else
      conversion.refuse(directive, `bridge_tls_version ${directive.rest}: thermopost allows TLS 1.2 and 1.3 (bridge_tls_version tlsv1.2)`)
  },
  notification_topic: refused('thermopost publishes the state of a bridge at $SYS/broker/bridges/<name>/state only'),
  bridge_capath: refused('thermopost reads CA certificates from one bridge_cafile; concatenate the directory into one PEM file'),
  bridge_bind_address: refused('thermopost lets the system choose the address its bridges connect from'),
  bridge_alpn: refused('thermopost offers no ALPN protocol on its bridges'),
  bridge_require_ocsp: refused("thermopost's bridges do not ask for OCSP"),
  bridge_identity: noPsk,
  bridge_psk: noPsk
}
