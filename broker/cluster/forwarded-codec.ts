import type { QoS } from 'mqtt-packet'
import type { Message } from '../message.js'
import { decodeProperties, encodeProperties } from '../store/properties-json.js'

/**
 * The binary form of one stream entry: several messages forwarded to one node in one XADD. Compact because every
 * forwarded message crosses Redis twice (in and out) and sits in its memory and AOF until acknowledged: lengths are
 * varints, numbers fixed-width doubles, and the payload is raw bytes (no base64 as in the store's JSON).
 *
 *   entry   = u8 ENTRY_FORMAT, string sender, varint count, count × record
 *   record  = u8 (1 = plain subscribers take it | 2 = for one client | 4 = published on another member),
 *             varint groups, groups × string, [string client], [string publisher], varint bodyLength, body
 *   body    = u8 (qos | retain << 2 | hasProperties << 3), f64 id, f64 expiresAt, f64 receivedAt,
 *             string topic, string origin, [string properties JSON], varint payloadLength, payload
 *   string  = varint byteLength, UTF-8
 *
 * The body is encoded once per message and shared by every node it goes to; only the record head differs.
 *
 * A message's identity (`messageIdentity`) is the member it was published on and its id there: the same in every
 * copy of it, whichever way a copy went (straight from the publishing member, or relayed by the old holder of a
 * session that moved), so a receiving node can give each message to a session once (recovery-overlap.ts). It costs
 * the sender's member once per entry (up to 256 records); a record names its publisher only when that is another
 * member than the sender (a relayed copy), so a message sent from where it was published carries no extra byte.
 * Bump ENTRY_FORMAT when the layout changes: a node refuses (and leaves pending) entries of a format it does not know,
 * so mixed versions during a rolling upgrade keep their messages for a node that can read them.
 */
export const ENTRY_FORMAT = 3

/** A message as one node hands it to another: what to deliver there. */
export interface ForwardedMessage {
  readonly message: Message
  /** Whether the receiving node's plain (non-shared) subscriptions take it. */
  readonly plain: boolean
  /** The shared groups (`{group}/{filter}`) the receiving node serves for this message. */
  readonly groups: readonly string[]
  /** Only this client id's session takes it: a message relayed to the node that took the session over. */
  readonly client?: string
  /** The member the message was published on; with `message.id`, its identity (`messageIdentity`). */
  readonly publisher: string
}

/** What identifies one message across the cluster, in every copy of it: its publishing member and its id there. */
export function messageIdentity(publisher: string, message: Pick<Message, 'id'>): string {
  return `${publisher}#${message.id}`
}

export function encodeBody(message: Message): Buffer {
  const properties = encodeProperties(message.properties)
  const writer = new ByteWriter(64 + message.topic.length + message.payload.length)
  writer.byte(message.qos | (message.retain ? 4 : 0) | (properties !== null ? 8 : 0))
  writer.double(message.id)
  writer.double(message.expiresAt)
  writer.double(message.receivedAt)
  writer.string(message.topic)
  writer.string(message.origin)
  if (properties !== null) writer.string(properties)
  writer.bytes(message.payload)
  return writer.done()
}

/**
 * The head of one record sent by member `sender`; the record is this followed by the message's body (`encodeBody`).
 */
export function encodeRecordHead(record: Omit<ForwardedMessage, 'message'>, sender: string, bodyLength: number): Buffer {
  const { plain, groups, client, publisher } = record
  const other = publisher !== sender
  const writer = new ByteWriter(24 + groups.length * 16 + ((client?.length ?? 0) + (other ? publisher.length : 0)) * 3)
  writer.byte((plain ? 1 : 0) | (client !== undefined ? 2 : 0) | (other ? 4 : 0))
  writer.varint(groups.length)
  for (const group of groups) writer.string(group)
  if (client !== undefined) writer.string(client)
  if (other) writer.string(publisher)
  writer.varint(bodyLength)
  return writer.done()
}

/** The entry's first bytes: format, the member sending it, and record count. */
export function encodeEntryHead(sender: string, count: number): Buffer {
  const writer = new ByteWriter(8 + sender.length * 3)
  writer.byte(ENTRY_FORMAT)
  writer.string(sender)
  writer.varint(count)
  return writer.done()
}

/** One whole entry, for tests and small senders; the node stream assembles entries from the parts above. */
export function encodeEntry(sender: string, records: readonly ForwardedMessage[]): Buffer {
  const parts = [encodeEntryHead(sender, records.length)]
  for (const record of records) {
    const body = encodeBody(record.message)
    parts.push(encodeRecordHead(record, sender, body.length), body)
  }
  return Buffer.concat(parts)
}

/** The records of an entry; throws on a format it does not know or bytes that do not add up. */
export function decodeEntry(bytes: Buffer): ForwardedMessage[] {
  const reader = new ByteReader(bytes)
  const format = reader.byte()
  if (format !== ENTRY_FORMAT) throw new Error(`stream entry format ${format}; this node reads ${ENTRY_FORMAT}`)
  const sender = reader.string()
  const count = reader.varint()
  const records: ForwardedMessage[] = []
  for (let i = 0; i < count; i++) {
    const flags = reader.byte()
    const plain = (flags & 1) === 1
    const groups: string[] = []
    for (let g = reader.varint(); g > 0; g--) groups.push(reader.string())
    const client = (flags & 2) === 2 ? reader.string() : undefined
    const publisher = (flags & 4) === 4 ? reader.string() : sender
    const end = reader.varint() + reader.offset
    records.push({ message: readBody(reader), plain, groups, publisher, ...(client === undefined ? {} : { client }) })
    if (reader.offset !== end) throw new Error('stream entry record length does not match its body')
  }
  if (reader.offset !== bytes.length) throw new Error('stream entry has bytes past its last record')
  return records
}

function readBody(reader: ByteReader): Message {
  const flags = reader.byte()
  const id = reader.double()
  const expiresAt = reader.double()
  const receivedAt = reader.double()
  const topic = reader.string()
  const origin = reader.string()
  const properties = (flags & 8) !== 0 ? decodeProperties(reader.string()) : undefined
  // A copy, so the message does not pin the whole entry (several messages) in memory while it is queued.
  const payload = Buffer.from(reader.bytes())
  return {
    id,
    topic,
    payload,
    qos: (flags & 3) as QoS,
    retain: (flags & 4) !== 0,
    properties,
    expiresAt,
    receivedAt,
    origin,
    forms: undefined
  }
}

class ByteWriter {
  private buffer: Buffer
  private offset = 0

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size)
  }

  byte(value: number): void {
    this.room(1)
    this.buffer[this.offset++] = value
  }

  varint(value: number): void {
    this.room(5)
    let rest = value
    while (rest >= 0x80) {
      this.buffer[this.offset++] = (rest & 0x7f) | 0x80
      rest >>>= 7
    }
    this.buffer[this.offset++] = rest
  }

  double(value: number): void {
    this.room(8)
    this.offset = this.buffer.writeDoubleLE(value, this.offset)
  }

  string(value: string): void {
    const length = Buffer.byteLength(value)
    this.varint(length)
    this.room(length)
    this.offset += this.buffer.write(value, this.offset, 'utf8')
  }

  bytes(value: Buffer): void {
    this.varint(value.length)
    this.room(value.length)
    this.offset += value.copy(this.buffer, this.offset)
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.offset)
  }

  private room(needed: number): void {
    if (this.offset + needed <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + needed))
    this.buffer.copy(grown, 0, 0, this.offset)
    this.buffer = grown
  }
}

class ByteReader {
  offset = 0

  constructor(private readonly buffer: Buffer) {}

  byte(): number {
    this.need(1)
    return this.buffer[this.offset++]
  }

  varint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte()
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    throw new Error('stream entry varint is too long')
  }

  double(): number {
    this.need(8)
    const value = this.buffer.readDoubleLE(this.offset)
    this.offset += 8
    return value
  }

  string(): string {
    return this.bytes().toString('utf8')
  }

  bytes(): Buffer {
    const length = this.varint()
    this.need(length)
    const value = this.buffer.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }

  private need(length: number): void {
    if (this.offset + length > this.buffer.length) throw new Error('stream entry is cut short')
  }
}
