import { isExpired, type Message, ownPayload } from '../message.js'
import type { Store } from '../store/store.js'
import { TopicTree } from '../topic-tree.js'

/**
 * The last retained message of every topic, with its copy in the store. They sit in a topic tree by topic
 * name, so that a wildcard SUBSCRIBE walks only the branches its filter can match (mosquitto src/retain.c
 * keeps them apart from the subscriptions too: here the topics are the paths, there the filters).
 * An expired message goes when it is next looked up, or when the store brings it back after a restart.
 */
export class RetainedMessages {
  private readonly tree = new TopicTree<Message>()
  private payloadBytes = 0

  constructor(private readonly store: Pick<Store, 'saveRetained' | 'deleteRetained'>) {}

  get size(): number {
    return this.tree.size
  }

  /** The payload bytes of every retained message. */
  get bytes(): number {
    return this.payloadBytes
  }

  /** A PUBLISH with the retain flag: its message becomes the topic's retained one, or clears it when empty (3.1.1 [MQTT-3.3.1-10]; 5.0 spec 3.3.1.3). */
  keep(message: Message): void {
    if (message.payload.length === 0) {
      this.forget(message.topic)
      return
    }
    ownPayload(message)
    this.put(message)
    this.store.saveRetained(message)
  }

  /**
   * A retained message (or a clearing one) that another node of the cluster received and already wrote to the
   * shared store: only this node's tree takes it, so a late copy cannot overwrite a newer one in the store.
   */
  adopt(message: Message): void {
    if (message.payload.length === 0) this.remove(message.topic)
    else this.put(message)
  }

  /** Retained messages whose topic matches `filter`; expired ones are dropped on the way. */
  match(filter: string, now: number): Message[] {
    const found = this.tree.matchFilter(filter.split('/'))
    const live = found.filter((message) => !isExpired(message, now))
    if (live.length !== found.length) {
      for (const message of found) if (isExpired(message, now)) this.forget(message.topic)
    }
    return live
  }

  /** The retained message of `topic`, unless there is none or it has expired. */
  get(topic: string, now: number): Message | undefined {
    const message = this.tree.get(topic.split('/'))
    return message === undefined || isExpired(message, now) ? undefined : message
  }

  /** Clears the retained message of `topic` (an administrator's request); false when there was none. */
  delete(topic: string): boolean {
    return this.forget(topic)
  }

  /** Brings back what the store kept (the store's copy of an expired one is dropped). */
  restore(messages: readonly Message[], now: number): void {
    for (const message of messages) {
      if (isExpired(message, now)) this.store.deleteRetained(message.topic)
      else this.put(message)
    }
  }

  private forget(topic: string): boolean {
    if (!this.remove(topic)) return false
    this.store.deleteRetained(topic)
    return true
  }

  private put(message: Message): void {
    const levels = message.topic.split('/')
    this.payloadBytes += message.payload.length - (this.tree.get(levels)?.payload.length ?? 0)
    this.tree.set(levels, message)
  }

  private remove(topic: string): boolean {
    const levels = topic.split('/')
    const previous = this.tree.get(levels)
    if (previous === undefined) return false
    this.tree.delete(levels)
    this.payloadBytes -= previous.payload.length
    return true
  }
}
