/**
 * The bytes a batch travels in from SqliteStore to sqlite-worker.ts: one buffer, transferred rather than cloned
 * (a structured clone of thousands of small arrays cost the event loop more than the commit's SQL cost the worker).
 * It lives only between the two threads of one process, so it carries no version: both sides are this file.
 *
 * Layout: u32 message count, u32 operation count; then each message as MESSAGE_FIELDS values, then each operation
 * as a u8 value count and its values (the first its Op). A value is a tag byte and its data: NULL; INT32 (4 bytes,
 * little-endian); FLOAT64 (8 bytes: ids, seqs and times beyond 32 bits); TEXT (u32 byte length, UTF-8);
 * BLOB (u32 byte length, bytes).
 */

/** A value in a batch: what SQLite takes as a parameter. */
export type BatchValue = number | string | Uint8Array | null

/** A message as the batch carries it: id, topic, payload, qos, retain, properties JSON, expires_at, received_at, origin. */
export const MESSAGE_FIELDS = 9

const NULL = 0
const INT32 = 1
const FLOAT64 = 2
const TEXT = 3
const BLOB = 4

/** Writes values into a buffer that grows as needed; `finish` hands over the buffer and how much of it is used. */
export class BatchWriter {
  private buffer: Buffer
  private offset = 8

  constructor(messageCount: number, operationCount: number, sizeHint: number) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(64, sizeHint))
    this.buffer.writeUInt32LE(messageCount, 0)
    this.buffer.writeUInt32LE(operationCount, 4)
  }

  /** Starts an operation of `valueCount` values. */
  operation(valueCount: number): void {
    this.reserve(1)
    this.buffer[this.offset++] = valueCount
  }

  value(value: BatchValue | undefined): void {
    if (value === null || value === undefined) {
      this.reserve(1)
      this.buffer[this.offset++] = NULL
    } else if (typeof value === 'number') {
      this.number(value)
    } else if (typeof value === 'string') {
      this.reserve(5 + value.length * 3)
      const start = this.offset + 5
      const length = this.buffer.write(value, start, 'utf8')
      this.buffer[this.offset] = TEXT
      this.buffer.writeUInt32LE(length, this.offset + 1)
      this.offset = start + length
    } else {
      this.reserve(5 + value.length)
      this.buffer[this.offset] = BLOB
      this.buffer.writeUInt32LE(value.length, this.offset + 1)
      this.buffer.set(value, this.offset + 5)
      this.offset += 5 + value.length
    }
  }

  finish(): { buffer: ArrayBuffer; length: number } {
    return { buffer: this.buffer.buffer as ArrayBuffer, length: this.offset }
  }

  private number(value: number): void {
    this.reserve(9)
    if ((value | 0) === value) {
      this.buffer[this.offset] = INT32
      this.buffer.writeInt32LE(value, this.offset + 1)
      this.offset += 5
    } else {
      this.buffer[this.offset] = FLOAT64
      this.buffer.writeDoubleLE(value, this.offset + 1)
      this.offset += 9
    }
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.offset + bytes))
    this.buffer.copy(grown, 0, 0, this.offset)
    this.buffer = grown
  }
}

/** Reads a batch written by BatchWriter. BLOB values are views into the batch's buffer, not copies. */
export class BatchReader {
  private readonly buffer: Buffer
  private offset = 8
  readonly messageCount: number
  readonly operationCount: number

  constructor(data: ArrayBuffer, length: number) {
    this.buffer = Buffer.from(data, 0, length)
    this.messageCount = this.buffer.readUInt32LE(0)
    this.operationCount = this.buffer.readUInt32LE(4)
  }

  /** The next `count` values (a message: MESSAGE_FIELDS). */
  values(count: number): BatchValue[] {
    const values: BatchValue[] = new Array(count)
    for (let i = 0; i < count; i++) values[i] = this.value()
    return values
  }

  /** The next operation's values, its Op first. */
  operation(): BatchValue[] {
    return this.values(this.buffer[this.offset++])
  }

  private value(): BatchValue {
    const buffer = this.buffer
    const tag = buffer[this.offset]
    const at = this.offset + 1
    switch (tag) {
      case NULL:
        this.offset = at
        return null
      case INT32:
        this.offset = at + 4
        return buffer.readInt32LE(at)
      case FLOAT64:
        this.offset = at + 8
        return buffer.readDoubleLE(at)
      case TEXT: {
        const end = at + 4 + buffer.readUInt32LE(at)
        this.offset = end
        return buffer.toString('utf8', at + 4, end)
      }
      case BLOB: {
        const end = at + 4 + buffer.readUInt32LE(at)
        this.offset = end
        return buffer.subarray(at + 4, end)
      }
      default:
        throw new Error(`bad value tag ${tag} at ${this.offset} of a store batch`)
    }
  }
}
