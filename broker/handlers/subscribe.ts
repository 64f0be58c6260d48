import type { ISubscribePacket, QoS } from 'mqtt-packet'
import type { Delivery } from '../message.js'
import { protocolViolation } from '../protocol/protocol-error.js'
import { Reason } from '../protocol/reason-codes.js'
import type { Subscription } from '../router/subscription.js'
import { parseFilter } from '../topics.js'
import type { PacketHandler } from './handler.js'

export const handleSubscribe: PacketHandler<ISubscribePacket, 'options' | 'auth' | 'subscriptions' | 'retained'> = (
  connection,
  packet,
  { options, auth, subscriptions, retained: retainedMessages }
) => {
  const session = connection.session!
  const isV5 = connection.protocolVersion === 5
  const subscriptionId = packet.properties?.subscriptionIdentifier
  if (subscriptionId === 0) throw protocolViolation('Subscription Identifier of 0') // spec 3.8.2.1.2
  // 3.1.1 [MQTT-3.8.3-3], 5.0 [MQTT-3.8.3-2]: at least one topic filter
  if (packet.subscriptions.length === 0) throw protocolViolation('SUBSCRIBE without a topic filter')
  const reads = auth.reads
  const granted: number[] = []
  const retained: Delivery[] = []
  const now = Date.now()

  for (const request of packet.subscriptions) {
    const parsed = parseFilter(request.topic, options.maxTopicLevels, options.maxTopicLength)
    if (typeof parsed === 'string') {
      granted.push(isV5 ? Reason.TopicFilterInvalid : Reason.UnspecifiedError)
      continue
    }
    if (parsed.group !== undefined && request.nl === true) throw protocolViolation('No Local on a shared subscription') // [MQTT-3.8.3-4]
    if (!session.subscriptions.has(request.topic) && session.subscriptions.size >= options.maxSubscriptionsPerClient) {
      granted.push(isV5 ? Reason.QuotaExceeded : Reason.UnspecifiedError)
      continue
    }
    const verdict = auth.authorizeSubscribe(connection, request.topic, request.qos)
    if (verdict >= 0x80) {
      granted.push(isV5 ? verdict : Reason.UnspecifiedError)
      continue
    }
    const subscription: Subscription = {
      session,
      fullFilter: request.topic,
      filter: parsed.filter,
      group: parsed.group,
      qos: Math.min(request.qos, verdict) as QoS,
      noLocal: request.nl === true,
      retainAsPublished: request.rap === true,
      retainHandling: (request.rh ?? 0) as 0 | 1 | 2,
      subscriptionId,
      subscriptionIds: subscriptionId === undefined ? undefined : [subscriptionId]
    }
    const isNew = subscriptions.add(session, subscription)
    granted.push(subscription.qos)
    // Retained messages go to new non-shared subscriptions, as Retain Handling says [MQTT-3.3.1-9..11, MQTT-3.8.4-4],
    // those the session may read (an ACL grants a filter that also matches denied topics).
    if (parsed.group === undefined && (subscription.retainHandling === 0 || (subscription.retainHandling === 1 && isNew))) {
      for (const message of retainedMessages.match(parsed.filter, now)) {
        if (reads !== undefined && !reads.authorizeRead(session, message.topic)) continue
        retained.push({
          message,
          qos: Math.min(message.qos, subscription.qos) as QoS,
          retain: true,
          subscriptionIds: subscription.subscriptionIds
        })
      }
    }
  }
  const acknowledge = (): void => {
    connection.send({ cmd: 'suback', messageId: packet.messageId, granted })
    for (const delivery of retained) session.deliver(delivery)
  }
  // In a cluster, SUBACK waits until the other nodes can know the new filters: a message the client has published on
  // another node once it holds the SUBACK then reaches this subscription.
  const announced = subscriptions.announced()
  if (announced === undefined) return acknowledge()
  return announced.then(acknowledge)
}
