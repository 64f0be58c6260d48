import { isExpired, type Message } from '../message.js'
import { TopicTree } from '../topic-tree.js'

/**
 * The last retained message of every topic, in a tree of topic levels so that a wildcard
 * SUBSCRIBE walks only the branches its filter can match (mosquitto src/retain.c keeps it apart
 * from the subscription tree too: here the topics are the paths, there the filters).
 */
export class RetainedMessages {
  private readonly tree = new TopicTree<Message>()

  get size(): number {
    return this.tree.size
  }

  /** Stores `message` as the topic's retained message. */
  set(message: Message): void {
    this.tree.set(message.topic.split('/'), message)
  }

  /** Clears the topic's retained message [MQTT-3.3.1-10]. */
  delete(topic: string): boolean {
    return this.tree.delete(topic.split('/'))
  }

  /** Retained messages whose topic matches `filter`; expired ones are dropped on the way. */
  match(filter: string, now: number): Message[] {
    const found = this.tree.matchFilter(filter.split('/'))
    const live = found.filter((message) => !isExpired(message, now))
    if (live.length !== found.length) {
      for (const message of found) if (isExpired(message, now)) this.delete(message.topic)
    }
    return live
  }
}
