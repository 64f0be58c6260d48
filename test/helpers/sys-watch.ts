import assert from 'node:assert/strict'
import type { MqttClient } from 'mqtt'
import { sleep } from './silence.js'

/** The latest value of every $SYS topic one client receives. */
export class SysWatch {
  readonly latest = new Map<string, string>()
  private listeners: Array<() => void> = []

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (!topic.startsWith('$SYS/')) return
      this.latest.set(topic, payload.toString())
      for (const listener of this.listeners.splice(0)) listener()
    })
  }

  /**
   * Resolves with the current value of `topic` if it satisfies `accept`, else with the first later one that does.
   * Values are snapshots taken at each refresh (and may be retained from before we subscribed), so state is
   * asserted as "eventually", never on one particular message.
   */
  async eventually(topic: string, accept: (value: string) => boolean, timeoutMs = 3500): Promise<string> {
    const deadline = Date.now() + timeoutMs
    const seen: string[] = []
    let last: string | undefined
    for (;;) {
      const value = this.latest.get(topic)
      if (value !== undefined && value !== last) {
        seen.push(value)
        last = value
        if (accept(value)) return value
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${topic}: no accepted value within ${timeoutMs} ms (saw ${seen.join(', ') || 'nothing'})`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100))
        this.listeners.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits until every name in `topics` has a value. */
  async all(topics: string[], timeoutMs = 3500): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (topics.some((topic) => !this.latest.has(topic))) {
      if (Date.now() > deadline) {
        throw new Error(
          `missing ${topics.filter((topic) => !this.latest.has(topic)).join(', ')}; got ${[...this.latest.keys()].join(', ')}`
        )
      }
      await sleep(50)
    }
  }

  number(topic: string): number {
    return leadingNumber(this.latest.get(topic))
  }
}

/** "42" or Mosquitto's "42 seconds" → 42. */
export function leadingNumber(value: string | undefined): number {
  const match = /^(\d+)(?: seconds)?$/.exec(value ?? '')
  assert.ok(match, `not a count: ${JSON.stringify(value)}`)
  return Number(match[1])
}
