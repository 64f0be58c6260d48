import type { IUnsubscribePacket } from 'mqtt-packet'
import { Reason } from '../protocol/reason-codes.js'
import { parseFilter } from '../topics.js'
import type { PacketHandler } from './handler.js'

export const handleUnsubscribe: PacketHandler<IUnsubscribePacket> = (connection, packet) => {
  const broker = connection.broker
  const session = connection.session!
  const results = packet.unsubscriptions.map((filter) => {
    if (typeof parseFilter(filter, broker.options.maxTopicLevels, broker.options.maxTopicLength) === 'string')
      return Reason.TopicFilterInvalid
    return broker.unsubscribe(session, filter) ? Reason.Success : Reason.NoSubscriptionExisted
  })
  if (connection.protocolVersion === 5) {
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted: results })
  } else {
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted: [] })
  }
}
