import type { Packet } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import { decodePacket, UNSUPPORTED_LEVEL } from '../protocol/codec.js'
import { ProtocolError, malformed, protocolViolation } from '../protocol/protocol-error.js'
import { LegacyConnackCode, Reason } from '../protocol/reason-codes.js'
import { stringsAreUtf8 } from '../protocol/utf8.js'
import { handleAuth } from './auth.js'
import { handleConnect } from './connect.js'
import { handleDisconnect } from './disconnect.js'
import type { PacketHandler } from './handler.js'
import { handlePingreq } from './ping.js'
import { handlePuback } from './puback.js'
import { handlePubcomp } from './pubcomp.js'
import { handlePublish } from './publish.js'
import { handlePubrec } from './pubrec.js'
import { handlePubrel } from './pubrel.js'
import { handleSubscribe } from './subscribe.js'
import { handleUnsubscribe } from './unsubscribe.js'

const handlers: Partial<Record<Packet['cmd'], PacketHandler<any>>> = {
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
 * Decodes one packet and runs its handler. This is the only place where a failure becomes the end
 * of the connection (mosquitto src/read_handle.c): a DISCONNECT with the reason for 5.0, a close for 3.x.
 */
export function dispatchPacket (connection: Connection, wire: Buffer): Promise<void> | undefined {
  const awaitingConnect = connection.state === 'awaiting-connect'
  try {
    let packet: Packet
    try {
      packet = decodePacket(wire, connection.protocolVersion)
    } catch (error) {
      if (awaitingConnect && (error as Error).message === UNSUPPORTED_LEVEL) {
        connection.socket.write(UNACCEPTABLE_PROTOCOL_CONNACK)
        connection.close()
        return undefined
      }
      throw error
    }
    if (awaitingConnect !== (packet.cmd === 'connect')) {
      // The first packet must be CONNECT [MQTT-3.1.0-1], and only the first [MQTT-3.1.0-2].
      if (awaitingConnect) {
        connection.close()
        return undefined
      }
      throw protocolViolation('second CONNECT')
    }
    const handler = handlers[packet.cmd]
    if (handler === undefined) throw protocolViolation(`a client may not send ${packet.cmd.toUpperCase()}`)
    if (packet.cmd !== 'publish' && !stringsAreUtf8(stringsOf(packet), wire)) throw malformed('ill-formed UTF-8 string')
    const pending = handler(connection, packet, wire)
    return pending === undefined ? undefined : pending.catch((error) => fail(connection, error))
  } catch (error) {
    fail(connection, error)
    return undefined
  }
}

function fail (connection: Connection, error: unknown): void {
  if (error instanceof ProtocolError) {
    connection.disconnect(error.reasonCode, error.message)
    return
  }
  connection.broker.logger.error({ err: error, clientId: connection.clientId }, 'packet handler failed')
  connection.disconnect(Reason.ImplementationSpecificError, 'internal error')
}

function stringsOf (packet: Packet): Array<string | undefined> {
  switch (packet.cmd) {
    case 'connect': return [packet.clientId, packet.username, packet.will?.topic]
    case 'subscribe': return packet.subscriptions.map((subscription) => subscription.topic)
    case 'unsubscribe': return packet.unsubscriptions
    default: return []
  }
}
