import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { IPublishPacket, Packet } from 'mqtt-packet'
import { connectRaw, nextOf, type RawConnected, rawSubscribe } from '../../helpers/flow-clients.js'
import { sleep } from '../../helpers/silence.js'

/**
 * One client's session across three connections, for the resume rule: the first makes the session with the
 * old Session Expiry Interval and leaves something pending in it; the second resumes it (Clean Start 0) with
 * a new interval and must be served what was pending; the third shows whether the session ended with the second.
 */

/** What the first connection leaves pending in its session (named after the last packet the broker sent for it). */
export type Pending =
  /** QoS 0, 1 and 2 messages (and a QoS 1 with a Message Expiry Interval not run out) published while offline. */
  | 'queued'
  /** A QoS 1 PUBLISH sent to the client and not acknowledged. */
  | 'in flight QoS 1'
  /** A QoS 2 PUBLISH sent to the client and not answered. */
  | 'in flight QoS 2'
  /** A QoS 2 PUBLISH from the client that the broker PUBREC'd; the client's PUBREL is still to come. */
  | "PUBREC'd QoS 2"
  /** A QoS 2 PUBLISH to the client, PUBREC'd by it and PUBREL'd by the broker; the PUBCOMP is still to come. */
  | "PUBREL'd QoS 2"

export const pendingStates: readonly Pending[] = ['queued', 'in flight QoS 1', 'in flight QoS 2', "PUBREC'd QoS 2", "PUBREL'd QoS 2"]

/** Session Expiry Interval on a CONNECT: undefined leaves the property out (0 for that connection). */
export type Expiry = number | undefined

export function connectProperties(expiry: Expiry): { properties?: { sessionExpiryInterval: number } } {
  return expiry === undefined ? {} : { properties: { sessionExpiryInterval: expiry } }
}

/** The packet id the client uses for its own QoS 2 PUBLISH. */
const OWN_PACKET_ID = 7

/** What the first connection left: the payloads (or packet id) the second must be served. */
export interface Left {
  /** Messages that must arrive, in order: [payload, qos]. */
  messages: Array<[string, 1 | 2]>
  /** For in-flight messages: the packet id they were sent with (resent with DUP). */
  packetId?: number
}

export async function publishFrom(t: TestContext, port: number, topic: string, payload: string, qos: 0 | 1 | 2, properties?: object) {
  const publisher = await connectRaw(t, port, 5)
  publisher.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, dup: false, retain: false, messageId: 1, properties })
  if (qos === 1) await nextOf(publisher.raw, 'puback')
  if (qos === 2) {
    await nextOf(publisher.raw, 'pubrec')
    publisher.send({ cmd: 'pubrel', messageId: 1 })
    await nextOf(publisher.raw, 'pubcomp')
  }
  publisher.send({ cmd: 'disconnect' })
  await publisher.raw.waitClosed()
}

/** Ends a raw connection with a normal DISCONNECT and gives the broker a moment to take the session offline. */
export async function leave(client: RawConnected): Promise<void> {
  client.send({ cmd: 'disconnect' })
  await client.raw.waitClosed()
  await sleep(50)
}

/** The first connection: subscribes `TopicA/<id>/#` at QoS 2, leaves `pending` behind, and disconnects normally. */
export async function leavePending(t: TestContext, port: number, clientId: string, expiry: Expiry, pending: Pending): Promise<Left> {
  const first = await connectRaw(t, port, 5, { clientId, clean: true, ...connectProperties(expiry) })
  await rawSubscribe(first, [{ topic: `TopicA/${clientId}/#`, qos: 2 }])
  const topic = `TopicA/${clientId}/t`
  let left: Left = { messages: [] }
  if (pending === 'queued') {
    await leave(first)
    await publishFrom(t, port, topic, 'q0', 0)
    await publishFrom(t, port, topic, 'q1', 1)
    await publishFrom(t, port, topic, 'q2', 2)
    await publishFrom(t, port, topic, 'q1-expiring', 1, { messageExpiryInterval: 3600 })
    return {
      messages: [
        ['q1', 1],
        ['q2', 2],
        ['q1-expiring', 1]
      ]
    }
  }
  if (pending === "PUBREC'd QoS 2") {
    first.send({
      cmd: 'publish',
      topic: `own/${clientId}`,
      payload: Buffer.from('own'),
      qos: 2,
      dup: false,
      retain: false,
      messageId: OWN_PACKET_ID
    })
    assert.equal((await nextOf(first.raw, 'pubrec')).messageId, OWN_PACKET_ID)
    left = { messages: [], packetId: OWN_PACKET_ID }
  } else {
    const qos = pending === 'in flight QoS 1' ? 1 : 2 // in flight QoS 2, or PUBREL'd QoS 2
    await publishFrom(t, port, topic, 'f', qos)
    const sent = await nextOf(first.raw, 'publish')
    left = { messages: [['f', qos]], packetId: sent.messageId }
    if (pending === "PUBREL'd QoS 2") {
      first.send({ cmd: 'pubrec', messageId: sent.messageId })
      await nextOf(first.raw, 'pubrel')
    }
  }
  await leave(first)
  return left
}

/** The second connection, on a resumed session: asserts it is served exactly what was left, and completes it. */
export async function expectServed(client: RawConnected, pending: Pending, left: Left): Promise<void> {
  if (pending === "PUBREC'd QoS 2") {
    // The inbound id is still held, so the PUBREL completes it [MQTT-4.3.3-9] rather than 0x92 Packet Identifier not found.
    client.send({ cmd: 'pubrel', messageId: left.packetId })
    const pubcomp = await nextOf(client.raw, 'pubcomp')
    assert.deepEqual([pubcomp.messageId, pubcomp.reasonCode ?? 0], [left.packetId, 0])
    return
  }
  if (pending === "PUBREL'd QoS 2") {
    // The PUBREL is sent again [MQTT-4.4.0-1].
    const pubrel = await nextOf(client.raw, 'pubrel')
    assert.equal(pubrel.messageId, left.packetId)
    client.send({ cmd: 'pubcomp', messageId: pubrel.messageId })
    return
  }
  const received: IPublishPacket[] = []
  for (const _ of left.messages) received.push(await nextOf(client.raw, 'publish'))
  assert.deepEqual(
    received.map((publish) => [publish.payload.toString(), publish.qos]),
    left.messages
  )
  // A message sent before is sent again with DUP set and its packet id [MQTT-4.4.0-1].
  if (pending !== 'queued') assert.deepEqual([received[0]?.dup, received[0]?.messageId], [true, left.packetId])
  await acknowledge(client, received)
}

/** The second connection, when there was no session to resume: nothing of the old one arrives. */
export async function expectNothingLeft(client: RawConnected, pending: Pending, left: Left): Promise<void> {
  if (pending === "PUBREC'd QoS 2") {
    client.send({ cmd: 'pubrel', messageId: left.packetId })
    const pubcomp = await nextOf(client.raw, 'pubcomp')
    assert.deepEqual([pubcomp.messageId, pubcomp.reasonCode], [left.packetId, 0x92])
    return
  }
  await expectNoPackets(client)
}

/** Nothing arrives but the answer to a PINGREQ (a SQLite queue pages in from disk: it is given the time to show up). */
export async function expectNoPackets(client: RawConnected): Promise<void> {
  client.send({ cmd: 'pingreq' })
  const received: Packet[] = [await client.raw.next()]
  await sleep(150)
  received.push(...client.raw.pending())
  assert.deepEqual(
    received.map((packet) => packet.cmd),
    ['pingresp']
  )
}

/** Completes the flows of `publishes`: PUBACK, or PUBREC, PUBREL from the broker, PUBCOMP. */
async function acknowledge(client: RawConnected, publishes: readonly IPublishPacket[]): Promise<void> {
  for (const publish of publishes) client.send({ cmd: publish.qos === 1 ? 'puback' : 'pubrec', messageId: publish.messageId })
  for (const _ of publishes.filter((publish) => publish.qos === 2)) {
    const pubrel = await nextOf(client.raw, 'pubrel')
    client.send({ cmd: 'pubcomp', messageId: pubrel.messageId })
  }
}
