import type { Packet } from 'mqtt-packet'
import type { Connection, PacketSink } from '../connection.js'
import { decodePacket, UNSUPPORTED_LEVEL } from '../protocol/codec.js'
import { malformed, ProtocolError, protocolViolation } from '../protocol/protocol-error.js'
import { LegacyConnackCode, Reason } from '../protocol/reason-codes.js'
import { stringsAreUtf8 } from '../protocol/utf8.js'
import { handleAuth } from './auth.js'
import { handleConnect } from './connect.js'
import { handleDisconnect } from './disconnect.js'
import type { HandlerContext, PacketHandler } from './handler.js'
import { handlePingreq } from './ping.js'
import { handlePuback } from './puback.js'
import { handlePubcomp } from './pubcomp.js'
import { handlePublish } from './publish.js'
import { handlePubrec } from './pubrec.js'
import { handlePubrel } from './pubrel.js'
import { handleSubscribe } from './subscribe.js'
import { handleUnsubscribe } from './unsubscribe.js'

// biome-ignore lint/suspicious/noExplicitAny: each handler takes its own packet type; the lookup by packet.cmd pairs them, which TypeScript cannot follow through an index
const handlers: Partial<Record<Packet['cmd'], PacketHandler<any, keyof HandlerContext>>> = {
  connect: handleConnect,
  publish: handlePublish,
  puback: handlePuback,
  pubrec: handlePubrec,
  pubrel: handlePubrel,
  pubcomp: handlePubcomp,
  subscribe: handleSubscribe,
  unsubscribe: handleUnsubscribe,
  pingreq: handlePingreq,
  disconnect: handleDisconnect,
  auth: handleAuth
}

/** A CONNACK refusing an unknown protocol level, in the 3.1.1 form every version can read [MQTT-3.1.2-2]. */
const UNACCEPTABLE_PROTOCOL_CONNACK = Buffer.from([0x20, 0x02, 0x00, LegacyConnackCode.UnacceptableProtocolVersion])

/**
 * Packet handling: one handler per packet type in its own file, each given the slice of HandlerContext it
 * names. The dispatcher decodes each packet, checks what holds for every packet (CONNECT first and only
 * once, packet identifiers, UTF-8) and runs its handler. This is the only place where a failure becomes the
 * end of the connection (mosquitto src/read_handle.c): a DISCONNECT with the reason for 5.0, a close for 3.x.
 */
export class PacketDispatcher implements PacketSink {
  constructor(private readonly context: HandlerContext) {}

  dispatch(connection: Connection, wire: Buffer): Promise<void> | undefined {
    this.context.stats.packetsReceived++
    const awaitingConnect = connection.awaitingConnect
    try {
      let packet: Packet
      try {
        packet = decodePacket(wire, connection.protocolVersion)
      } catch (error) {
        if (awaitingConnect && (error as Error).message === UNSUPPORTED_LEVEL) {
          connection.socket.write(UNACCEPTABLE_PROTOCOL_CONNACK)
          this.context.stats.connacks[Reason.UnsupportedProtocolVersion]++
          connection.rejectProtocol(Reason.UnsupportedProtocolVersion, 'CONNECT with an unknown protocol level') // closes: not connected
          return undefined
        }
        throw error
      }
      if (awaitingConnect !== (packet.cmd === 'connect')) {
        // The first packet must be CONNECT [MQTT-3.1.0-1], and only the first [MQTT-3.1.0-2].
        if (awaitingConnect) {
          connection.rejectProtocol(Reason.ProtocolError, `${packet.cmd.toUpperCase()} before CONNECT`)
          return undefined
        }
        throw protocolViolation('second CONNECT')
      }
      const handler = handlers[packet.cmd]
      if (handler === undefined) throw protocolViolation(`a client may not send ${packet.cmd.toUpperCase()}`)
      const idProblem = packetIdProblem(packet, wire)
      if (idProblem !== undefined) throw malformed(idProblem)
      if (packet.cmd !== 'publish') {
        const strings = stringsOf(packet)
        if (!stringsAreUtf8(strings, wire)) throw malformed('ill-formed UTF-8 string')
        // 3.1.1 [MQTT-1.5.3-2], 5.0 [MQTT-1.5.4-2]; a PUBLISH topic is checked by its handler
        if (strings.some((text) => text?.includes('\u0000') === true)) throw malformed('NUL character in a string')
      }
      const pending = handler(connection, packet, this.context, wire)
      return pending === undefined ? undefined : pending.catch((error) => this.fail(connection, error))
    } catch (error) {
      this.fail(connection, error)
      return undefined
    }
  }

  private fail(connection: Connection, error: unknown): void {
    if (error instanceof ProtocolError) {
      connection.rejectProtocol(error.reasonCode, error.message)
      return
    }
    this.context.logger.error({ err: error, clientId: connection.clientId }, 'packet handler failed')
    connection.disconnect(Reason.ImplementationSpecificError, 'internal error')
  }
}

/**
 * mqtt-packet lets some packets through without their packet identifier (a PUBLISH cut short after
 * its topic, a PUBREL with no body): every packet that needs one must carry a non-zero one [MQTT-2.2.1-3],
 * and a QoS 1/2 PUBLISH must hold its topic and identifier within its own length.
 */
function packetIdProblem(packet: Packet, wire: Buffer): string | undefined {
  const needsId = packet.cmd === 'publish' ? packet.qos > 0 : ID_PACKETS.has(packet.cmd)
  if (!needsId) return undefined
  const id = packet.messageId
  if (id === undefined || !Number.isInteger(id) || id < 1 || id > 0xffff)
    return `${packet.cmd.toUpperCase()} without a valid packet identifier`
  if (packet.cmd === 'publish' && wire.length < publishIdEnd(wire)) return 'PUBLISH shorter than its topic and packet identifier'
  return undefined
}

const ID_PACKETS: ReadonlySet<Packet['cmd']> = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'unsubscribe'])

/** Where the packet identifier of a PUBLISH ends: after the fixed header, the topic and the two id bytes. */
function publishIdEnd(wire: Buffer): number {
  let offset = 1
  while (offset < wire.length && (wire[offset] & 0x80) !== 0) offset++
  offset++
  if (offset + 2 > wire.length) return Infinity
  return offset + 2 + wire.readUInt16BE(offset) + 2
}

function stringsOf(packet: Packet): Array<string | undefined> {
  switch (packet.cmd) {
    case 'connect':
      return [packet.clientId, packet.username, packet.will?.topic]
    case 'subscribe':
      return packet.subscriptions.map((subscription) => subscription.topic)
    case 'unsubscribe':
      return packet.unsubscriptions
    default:
      return []
  }
}
