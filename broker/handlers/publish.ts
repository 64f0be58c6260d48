import type { IPublishPacket } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import { encodeAck } from '../protocol/codec.js'
import { malformed, ProtocolError, protocolViolation } from '../protocol/protocol-error.js'
import { Reason } from '../protocol/reason-codes.js'
import { publishPropertiesAreUtf8, publishTopicIsUtf8 } from '../protocol/utf8.js'
import { DropReason } from '../stats.js'
import { topicNameProblem } from '../topics.js'
import type { HandlerContext, PacketHandler } from './handler.js'

type Uses = 'options' | 'stats' | 'auth' | 'publisher' | 'backPressure'
type Context = Pick<HandlerContext, Uses>

export const handlePublish: PacketHandler<IPublishPacket, Uses> = (connection, packet, context, wire) => {
  const { options } = context
  const session = connection.session!
  const stats = context.stats
  stats.received[packet.qos]++
  stats.receivedPublishBytes[packet.qos] += wire.length
  const rate = options.maxPublishRate
  if (rate > 0 && !connection.withinPublishRate(rate)) {
    throw new ProtocolError(Reason.MessageRateTooHigh, `more than ${rate} PUBLISHes a second`)
  }
  const topic = resolveTopic(connection, packet, options.topicAliasMaximum)
  if (topic.includes('\u0000')) throw malformed('NUL character in the topic name') // [MQTT-1.5.4-2]
  const problem = topicNameProblem(topic, options.maxTopicLevels, options.maxTopicLength)
  if (problem !== undefined) throw new ProtocolError(Reason.TopicNameInvalid, problem)
  if (topic.includes('\uFFFD') && !publishTopicIsUtf8(wire)) throw malformed('ill-formed UTF-8 in the topic name')
  if (packet.properties !== undefined && !publishPropertiesAreUtf8(packet.properties, packet.qos, wire)) {
    throw malformed('ill-formed UTF-8 in a property')
  }

  const packetId = packet.messageId ?? 0
  if (packet.qos === 2 && session.incomingQos2.has(packetId)) {
    // A resent QoS 2 PUBLISH whose first copy we hold: acknowledge again, route nothing [MQTT-4.3.3-10].
    connection.replyWhenStored('pubrec', packetId)
    return
  }
  if (
    packet.qos > 0 &&
    connection.protocolVersion === 5 &&
    connection.unacknowledgedInbound + session.incomingQos2.size >= options.receiveMaximum
  ) {
    throw new ProtocolError(Reason.ReceiveMaximumExceeded, 'more unacknowledged QoS 1/2 PUBLISHes than Receive Maximum') // [MQTT-3.3.4-9]
  }
  if (packet.qos === 1 && connection.unacknowledgedInbound >= options.receiveMaximum) {
    // A 3.x client was never told a Receive Maximum and may have any number outstanding: it is not cut off,
    // it is read no further (this PUBLISH waits, reading paused) until the store lets acknowledgements out.
    return roomForAcks(connection, options.receiveMaximum).then(() => {
      if (connection.isOpen) accept(connection, context, packet, topic, packetId, wire)
    })
  }
  return accept(connection, context, packet, topic, packetId, wire)
}

/**
 * Routes an authorized PUBLISH and acknowledges it. When it queued up behind a connected session past its high
 * mark, the returned promise holds the connection's next packets until that session has drained (backlog-gate.ts):
 * publishers are read no faster than the slowest of their subscribers takes, and nothing is dropped on the way.
 */
function accept(
  connection: Connection,
  context: Context,
  packet: IPublishPacket,
  topic: string,
  packetId: number,
  wire: Buffer
): Promise<void> | undefined {
  if (!context.auth.authorizePublish(connection, topic, packet.qos, packet.retain)) {
    context.stats.dropped[DropReason.Acl]++
    refuse(connection, packet, Reason.NotAuthorized)
    return
  }
  const { publisher, backPressure } = context
  backPressure.begin()
  publisher.publish(publisher.createMessage(packet, topic, connection.clientId, wire, connection.protocolVersion))
  if (packet.qos === 2) connection.session!.receivedQos2(packetId)
  if (packet.qos > 0) connection.replyWhenStored(packet.qos === 1 ? 'puback' : 'pubrec', packetId)
  return backPressure.take()
}

/** Waits until fewer QoS 1 acknowledgements than Receive Maximum are held back by the store. */
async function roomForAcks(connection: Connection, receiveMaximum: number): Promise<void> {
  while (connection.isOpen && connection.unacknowledgedInbound >= receiveMaximum) await connection.whenAckReleased()
}

/** Resolves a 5.0 Topic Alias into the topic it stands for, learning new aliases on the way (spec 3.3.2.3.4). */
function resolveTopic(connection: Connection, packet: IPublishPacket, topicAliasMaximum: number): string {
  const alias = packet.properties?.topicAlias
  if (alias === undefined) return packet.topic
  if (alias === 0 || alias > topicAliasMaximum) {
    throw new ProtocolError(Reason.TopicAliasInvalid, `topic alias ${alias} is outside 1..${topicAliasMaximum}`)
  }
  if (packet.topic !== '') {
    connection.learnTopicAlias(alias, packet.topic)
    return packet.topic
  }
  const topic = connection.topicOfAlias(alias)
  if (topic === undefined) throw protocolViolation(`topic alias ${alias} was never set`)
  return topic
}

/** A refused PUBLISH: 5.0 says why; 3.x has no negative acknowledgement, so it is acknowledged and dropped. */
function refuse(connection: Connection, packet: IPublishPacket, reasonCode: number): void {
  if (packet.qos === 0) return
  const cmd = packet.qos === 1 ? 'puback' : 'pubrec'
  if (connection.protocolVersion === 5) {
    connection.send({ cmd, messageId: packet.messageId, reasonCode })
  } else {
    connection.sendAcks(encodeAck(cmd, packet.messageId!), 1)
  }
}
