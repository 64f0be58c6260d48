import assert from 'node:assert/strict'
import type { IPublishPacket, MqttClient } from 'mqtt'
import { QUIET_MS, sleep } from './silence.js'

export interface Received {
  topic: string
  payload: Buffer
  packet: IPublishPacket
}

/**
 * Every PUBLISH an mqtt.js client receives, in order, from the moment the inbox is made (make it before
 * CONNACK to catch the queued messages that arrive right after it); `take` hands them out and never drops one.
 */
export class Inbox {
  readonly all: Received[] = []
  private taken = 0
  private waiter: (() => void) | undefined

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.all.push({ topic, payload, packet })
      const waiter = this.waiter
      this.waiter = undefined
      waiter?.()
    })
  }

  /** The next `count` messages not yet taken; rejects if they have not all arrived within `timeoutMs`. */
  async take(count: number, timeoutMs = 3000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs
    while (this.all.length - this.taken < count) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new Error(
          `expected ${count} more message(s) within ${timeoutMs} ms, got ${this.all.length - this.taken}: ` +
            describe(this.all.slice(this.taken)).join(', ')
        )
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    const batch = this.all.slice(this.taken, this.taken + count)
    this.taken += count
    return batch
  }

  async takeOne(timeoutMs?: number): Promise<Received> {
    return (await this.take(1, timeoutMs))[0]!
  }

  /** Asserts that nothing beyond what was taken arrives within `ms`. */
  async none(ms = QUIET_MS): Promise<void> {
    await sleep(ms)
    assert.deepEqual(describe(this.all.slice(this.taken)), [], `no message expected within ${ms} ms`)
  }
}

function describe(messages: Received[]): string[] {
  return messages.map((m) => `${m.topic}=${m.payload.toString()}`)
}
