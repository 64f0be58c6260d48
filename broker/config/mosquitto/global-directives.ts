import { booleanValue, durationValue, integerValue, stringValue } from './directive-values.js'
import type { Origin } from './mosquitto-conf-lines.js'
import type { DirectiveHandler, MosquittoConversion } from './mosquitto-conversion.js'

/** Mosquitto's global directives that have a counterpart here: security, persistence and the limits. */

/** The largest fixed header, a topic of MQTT's longest and a packet id: what a packet holds besides its payload. */
const PUBLISH_HEADER_ROOM = 5 + 2 + 65_535 + 2
/** Our largest values, standing for Mosquitto's "0: no maximum". */
const NO_MAXIMUM = Number.MAX_SAFE_INTEGER
const LARGEST_PACKET = 268_435_460
const LARGEST_WINDOW = 65_535

function securityFile(key: 'password_file' | 'acl_file'): DirectiveHandler {
  return (directive, conversion) => {
    const value = stringValue(directive, conversion)
    if (value !== undefined) conversion.securityScope[key] = { value, origin: directive }
  }
}

/** A whole-number limit that maps one to one, `0` meaning no maximum when `unlimited` is given. */
function limit(ourKey: string, min: number, max: number, unlimited?: number): DirectiveHandler {
  return (directive, conversion) => {
    const value = integerValue(directive, conversion, unlimited === undefined ? min : 0, max)
    if (value === undefined) return
    conversion.set(ourKey, value === 0 && unlimited !== undefined ? unlimited : value, directive)
  }
}

/** A switch Mosquitto has and we do not: its default is fine, anything else cannot be honoured. */
function onlyDefault(expected: boolean, why: string): DirectiveHandler {
  return (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined && value !== expected) conversion.refuse(directive, why)
  }
}

/** A limit Mosquitto has and we do not: 0 (none, its default) is fine, any other value cannot be honoured. */
function onlyZero(why: string): DirectiveHandler {
  return (directive, conversion) => {
    if (directive.rest !== '0') conversion.refuse(directive, why)
  }
}

/** max_packet_size and message_size_limit both bound the packet: the smaller one holds, whichever line comes last. */
function smallerPacket(conversion: MosquittoConversion, bytes: number, origin: Origin): void {
  const earlier = conversion.options.get('max_packet_size')
  if (earlier === undefined || (earlier.value as number) > bytes) conversion.set('max_packet_size', bytes, origin)
}

export const globalDirectives: Record<string, DirectiveHandler> = {
  per_listener_settings: (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined) conversion.perListenerSettings = { value, origin: directive }
  },
  allow_anonymous: (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined) conversion.securityScope.allow_anonymous = { value, origin: directive }
  },
  password_file: securityFile('password_file'),
  acl_file: securityFile('acl_file'),
  persistence: (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value === undefined) return
    conversion.set('store', value ? 'sqlite' : 'memory', directive)
    if (value)
      conversion.note(
        directive,
        "the store is broker.db (SQLite, every acknowledged message committed); Mosquitto's mosquitto.db is not read, so retained messages and sessions start empty"
      )
  },
  persistence_location: (directive, conversion) => {
    const value = stringValue(directive, conversion)
    if (value !== undefined) conversion.set('data_dir', value.replace(/(.)\/+$/, '$1'), directive)
  },
  max_inflight_messages: limit('max_inflight', 1, LARGEST_WINDOW, LARGEST_WINDOW),
  max_queued_messages: limit('max_queued_messages', 1, NO_MAXIMUM, NO_MAXIMUM),
  max_queued_bytes: limit('max_queued_bytes', 1, NO_MAXIMUM, NO_MAXIMUM),
  max_packet_size: (directive, conversion) => {
    const value = integerValue(directive, conversion, 0, LARGEST_PACKET)
    if (value !== undefined) smallerPacket(conversion, value === 0 ? LARGEST_PACKET : Math.max(value, 64), directive)
  },
  max_keepalive: limit('max_keepalive', 0, 65_535),
  max_topic_alias: limit('topic_alias_maximum', 0, 65_535),
  sys_interval: limit('sys_interval', 0, 86_400),
  message_size_limit: (directive, conversion) => {
    const value = integerValue(directive, conversion, 0, LARGEST_PACKET)
    if (value === undefined || value === 0) return
    const packet = Math.min(value + PUBLISH_HEADER_ROOM, LARGEST_PACKET)
    // Mosquitto drops a bigger payload and completes its QoS flow; we have one limit, on the whole packet.
    smallerPacket(conversion, packet, directive)
    conversion.note(
      directive,
      `payloads up to ${value} bytes: max_packet_size ${packet} (the payload plus room for the header and the longest topic); a bigger packet closes the connection (5.0: 0x95) instead of being dropped`
    )
  },
  persistent_client_expiration: (directive, conversion) => {
    const seconds = durationValue(directive, conversion)
    if (seconds !== undefined) conversion.set('legacy_session_expiry', Math.min(seconds, 0xffffffff), directive)
  },
  queue_qos0_messages: (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined) conversion.set('queue_qos0', value, directive)
  },
  max_inflight_bytes: onlyZero('thermopost limits the in-flight window in messages (max_inflight_messages), not bytes'),
  memory_limit: onlyZero('thermopost has no heap limit of its own: limit the process (systemd MemoryMax=, node --max-old-space-size)'),
  retain_available: onlyDefault(true, 'thermopost always keeps retained messages'),
  upgrade_outgoing_qos: onlyDefault(false, 'thermopost delivers at the lower of the two QoS, as MQTT says'),
  check_retain_source: onlyDefault(false, 'thermopost does not re-check the ACL of a retained message against its publisher'),
  allow_zero_length_clientid: onlyDefault(true, 'thermopost assigns a client id to a client that sends an empty one')
}
