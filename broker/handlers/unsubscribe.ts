import type { IUnsubscribePacket } from 'mqtt-packet'
import { protocolViolation } from '../protocol/protocol-error.js'
import { Reason } from '../protocol/reason-codes.js'
import { parseFilter } from '../topics.js'
import type { PacketHandler } from './handler.js'

export const handleUnsubscribe: PacketHandler<IUnsubscribePacket, 'options' | 'subscriptions'> = (
  connection,
  packet,
  { options, subscriptions }
) => {
  if (packet.unsubscriptions.length === 0) throw protocolViolation('UNSUBSCRIBE without a topic filter') // [MQTT-3.10.3-2]
  const session = connection.session!
  const results = packet.unsubscriptions.map((filter) => {
    if (typeof parseFilter(filter, options.maxTopicLevels, options.maxTopicLength) === 'string') return Reason.TopicFilterInvalid
    return subscriptions.remove(session, filter) ? Reason.Success : Reason.NoSubscriptionExisted
  })
  if (connection.protocolVersion === 5) {
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted: results })
  } else {
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted: [] })
  }
}
