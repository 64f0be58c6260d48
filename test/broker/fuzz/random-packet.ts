import mqtt, { type IConnectPacket, type Packet, type QoS } from 'mqtt-packet'
import {
  clientId,
  defined,
  FUZZ_ID_POOL,
  filter,
  maybe,
  messageId,
  payload,
  qos,
  randomString,
  reasonProps,
  topic,
  u32,
  userProperties
} from './random-fields.js'
import type { Rng } from './rng.js'

/** Valid packet objects of every type with random fields, for mqtt-packet's `generate` to encode (or refuse). */

export type Version = 3 | 4 | 5

/** A CONNECT the broker should accept (mostly): the first packet of half the fuzz connections. */
export function validConnect(rng: Rng, version: Version): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clientId: `fz${rng.int(FUZZ_ID_POOL)}`,
    clean: rng.chance(0.7),
    keepalive: rng.pick([0, 0, 5, 60])
  }
  if (version === 5)
    packet.properties = { sessionExpiryInterval: rng.pick([0, 0, 10]), ...(rng.chance(0.3) ? { topicAliasMaximum: 5 } : {}) }
  if (rng.chance(0.2)) packet.will = { topic: topic(rng), payload: rng.bytes(rng.int(16)), qos: rng.int(3) as QoS, retain: rng.chance(0.3) }
  return packet
}

function connect(rng: Rng, version: Version): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: rng.chance(0.95) ? (version === 3 ? 'MQIsdp' : 'MQTT') : version === 3 ? 'MQTT' : 'MQIsdp',
    protocolVersion: version,
    clientId: clientId(rng),
    clean: rng.chance(0.6),
    keepalive: rng.pick([0, 1, 2, 60, 65_535])
  }
  if (rng.chance(0.3)) {
    packet.username = randomString(rng, 10)
    if (rng.chance(0.5)) packet.password = rng.bytes(rng.int(20))
  }
  if (rng.chance(0.3)) {
    packet.will = {
      topic: topic(rng),
      payload: payload(rng),
      qos: qos(rng),
      retain: rng.chance(0.5),
      ...(version === 5 && rng.chance(0.5)
        ? {
            properties: defined({
              willDelayInterval: maybe(rng, 0.5, () => rng.pick([0, 1, 3, 0xffffffff])),
              payloadFormatIndicator: maybe(rng, 0.3, () => rng.chance(0.5)),
              messageExpiryInterval: maybe(rng, 0.3, () => u32(rng)),
              contentType: maybe(rng, 0.2, () => randomString(rng, 8)),
              responseTopic: maybe(rng, 0.2, () => topic(rng)),
              correlationData: maybe(rng, 0.2, () => rng.bytes(rng.int(8))),
              userProperties: userProperties(rng)
            })
          }
        : {})
    }
  }
  if (version === 5 && rng.chance(0.7)) {
    const properties = defined({
      sessionExpiryInterval: maybe(rng, 0.5, () => rng.pick([0, 5, 20, 0xffffffff])),
      receiveMaximum: maybe(rng, 0.3, () => rng.pick([0, 1, 2, 65_535])),
      maximumPacketSize: maybe(rng, 0.3, () => rng.pick([0, 1, 20, 100, 0xffffffff])),
      topicAliasMaximum: maybe(rng, 0.3, () => rng.pick([0, 1, 3, 65_535])),
      requestResponseInformation: maybe(rng, 0.2, () => rng.chance(0.5)),
      requestProblemInformation: maybe(rng, 0.2, () => rng.chance(0.5)),
      userProperties: userProperties(rng),
      authenticationMethod: maybe(rng, 0.1, () => randomString(rng, 8)),
      authenticationData: maybe(rng, 0.1, () => rng.bytes(rng.int(8)))
    })
    if (properties !== undefined) packet.properties = properties
  }
  return packet
}

function publish(rng: Rng, version: Version): Packet {
  const q = qos(rng)
  const alias = version === 5 && rng.chance(0.2) ? rng.pick([0, 1, 2, 3, 64, 65, 65_535]) : undefined
  return {
    cmd: 'publish',
    topic: alias !== undefined && rng.chance(0.5) ? '' : topic(rng),
    payload: payload(rng),
    qos: q,
    dup: rng.chance(0.1),
    retain: rng.chance(0.15),
    ...(q > 0 || rng.chance(0.05) ? { messageId: messageId(rng) } : {}),
    ...(version === 5 && rng.chance(0.5)
      ? {
          properties: defined({
            payloadFormatIndicator: maybe(rng, 0.2, () => rng.chance(0.5)),
            messageExpiryInterval: maybe(rng, 0.2, () => u32(rng)),
            topicAlias: alias,
            responseTopic: maybe(rng, 0.15, () => topic(rng)),
            correlationData: maybe(rng, 0.15, () => rng.bytes(rng.int(16))),
            userProperties: userProperties(rng),
            subscriptionIdentifier: maybe(rng, 0.05, () => rng.pick([1, 0, 268_435_455])),
            contentType: maybe(rng, 0.15, () => randomString(rng, 10))
          })
        }
      : {})
  } as Packet
}

function subscribe(rng: Rng, version: Version): Packet {
  const subscriptions = []
  for (let i = rng.chance(0.05) ? 0 : rng.range(1, 4); i > 0; i--) {
    subscriptions.push({
      topic: filter(rng),
      qos: qos(rng),
      ...(version === 5 ? { nl: rng.chance(0.3), rap: rng.chance(0.3), rh: rng.chance(0.05) ? 3 : rng.int(3) } : {})
    })
  }
  return {
    cmd: 'subscribe',
    messageId: messageId(rng),
    subscriptions,
    ...(version === 5 && rng.chance(0.4)
      ? {
          properties: defined({
            subscriptionIdentifier: maybe(rng, 0.6, () => rng.pick([1, 2, 0, 268_435_455])),
            userProperties: userProperties(rng)
          })
        }
      : {})
  } as Packet
}

function unsubscribe(rng: Rng, version: Version): Packet {
  const unsubscriptions = []
  for (let i = rng.chance(0.05) ? 0 : rng.range(1, 4); i > 0; i--) unsubscriptions.push(filter(rng))
  return {
    cmd: 'unsubscribe',
    messageId: messageId(rng),
    unsubscriptions,
    ...(version === 5 && rng.chance(0.3) ? { properties: reasonProps(rng) } : {})
  } as Packet
}

function ack(rng: Rng, version: Version, cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'): Packet {
  return {
    cmd,
    messageId: messageId(rng),
    ...(version === 5 && rng.chance(0.5) ? { reasonCode: rng.pick([0, 0x10, 0x80, 0x92, 0x97, 0xff]) } : {}),
    ...(version === 5 && rng.chance(0.2) ? { properties: reasonProps(rng) } : {})
  } as Packet
}

function disconnect(rng: Rng, version: Version): Packet {
  return {
    cmd: 'disconnect',
    ...(version === 5 && rng.chance(0.5) ? { reasonCode: rng.pick([0, 4, 0x80, 0x8e]) } : {}),
    ...(version === 5 && rng.chance(0.3)
      ? {
          properties: defined({
            sessionExpiryInterval: maybe(rng, 0.5, () => u32(rng)),
            reasonString: maybe(rng, 0.3, () => randomString(rng, 10))
          })
        }
      : {})
  } as Packet
}

function auth(rng: Rng): Packet {
  return {
    cmd: 'auth',
    reasonCode: rng.pick([0, 0x18, 0x19]),
    properties: defined({
      authenticationMethod: maybe(rng, 0.7, () => randomString(rng, 8)),
      authenticationData: maybe(rng, 0.5, () => rng.bytes(8))
    })
  } as Packet
}

/** Packets only a server sends: a client sending them is a protocol error. */
function serverOnly(rng: Rng, version: Version): Packet {
  switch (rng.int(4)) {
    case 0:
      return { cmd: 'connack', sessionPresent: rng.chance(0.5), ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }) }
    case 1:
      return { cmd: 'suback', messageId: messageId(rng), granted: [0, 1, 2, 0x80] }
    case 2:
      return { cmd: 'unsuback', messageId: messageId(rng), granted: version === 5 ? [0] : [] } as Packet
    default:
      return { cmd: 'pingresp' }
  }
}

/** A random packet object of any type; mostly the ones a connected client sends. */
export function randomPacket(rng: Rng, version: Version): Packet {
  const r = rng.int(100)
  if (r < 35) return publish(rng, version)
  if (r < 50) return subscribe(rng, version)
  if (r < 57) return unsubscribe(rng, version)
  if (r < 72) return ack(rng, version, rng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const))
  if (r < 79) return { cmd: 'pingreq' }
  if (r < 83) return disconnect(rng, version)
  if (r < 88) return version === 5 ? auth(rng) : { cmd: 'pingreq' }
  if (r < 95) return connect(rng, version)
  return serverOnly(rng, version)
}

/** The packet encoded, or undefined when mqtt-packet refuses the random fields. */
export function encode(packet: Packet, version: Version): Buffer | undefined {
  try {
    return mqtt.generate(packet, { protocolVersion: version })
  } catch {
    return undefined
  }
}
