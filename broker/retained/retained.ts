import { isExpired, type Message } from '../message.js'

/**
 * The last retained message of every topic, in a tree of topic levels so that a wildcard
 * SUBSCRIBE walks only the branches its filter can match (mosquitto src/retain.c keeps it apart
 * from the subscription tree too: here the topics are the keys, there the filters).
 * Invariant: a node without a message and without children is removed.
 */
interface RetainNode {
  children: Map<string, RetainNode> | undefined
  message: Message | undefined
}

export class RetainedMessages {
  private readonly root: RetainNode = { children: undefined, message: undefined }
  private count = 0

  get size(): number {
    return this.count
  }

  /** Stores `message` as the topic's retained message. */
  set(message: Message): void {
    let node = this.root
    for (const level of message.topic.split('/')) {
      node.children ??= new Map()
      let child = node.children.get(level)
      if (child === undefined) {
        child = { children: undefined, message: undefined }
        node.children.set(level, child)
      }
      node = child
    }
    if (node.message === undefined) this.count++
    node.message = message
  }

  /** Clears the topic's retained message [MQTT-3.3.1-10]. */
  delete(topic: string): boolean {
    const levels = topic.split('/')
    const path: RetainNode[] = [this.root]
    for (const level of levels) {
      const child = path[path.length - 1].children?.get(level)
      if (child === undefined) return false
      path.push(child)
    }
    if (path[path.length - 1].message === undefined) return false
    path[path.length - 1].message = undefined
    this.count--
    for (let i = path.length - 1; i > 0; i--) {
      if ((path[i].children?.size ?? 0) > 0 || path[i].message !== undefined) break
      path[i - 1].children!.delete(levels[i - 1])
    }
    return true
  }

  /** Retained messages whose topic matches `filter`; expired ones are dropped on the way. */
  match(filter: string, now: number): Message[] {
    const found: Message[] = []
    walk(this.root, filter.split('/'), 0, found)
    const live = found.filter((message) => !isExpired(message, now))
    if (live.length !== found.length) {
      for (const message of found) if (isExpired(message, now)) this.delete(message.topic)
    }
    return live
  }

  all(): Message[] {
    const out: Message[] = []
    everything(this.root, out)
    return out
  }
}

function walk(node: RetainNode, levels: string[], index: number, out: Message[]): void {
  if (index === levels.length) {
    if (node.message !== undefined) out.push(node.message)
    return
  }
  const level = levels[index]
  const children = node.children
  if (level === '#') {
    // 'a/#' matches 'a' itself [MQTT-4.7.1-2]; no '$' topics under a leading wildcard [MQTT-4.7.2-1]
    if (index > 0 && node.message !== undefined) out.push(node.message)
    if (children !== undefined) {
      for (const [key, child] of children) if (index > 0 || key.charCodeAt(0) !== 36) everything(child, out)
    }
    return
  }
  if (children === undefined) return
  if (level === '+') {
    for (const [key, child] of children) if (index > 0 || key.charCodeAt(0) !== 36) walk(child, levels, index + 1, out)
    return
  }
  const child = children.get(level)
  if (child !== undefined) walk(child, levels, index + 1, out)
}

function everything(node: RetainNode, out: Message[]): void {
  if (node.message !== undefined) out.push(node.message)
  if (node.children !== undefined) for (const child of node.children.values()) everything(child, out)
}
