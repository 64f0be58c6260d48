/**
 * Topic filters in a tree of levels, for matching a topic name against every filter at once.
 * Each node is one filter level ('+' and '#' are ordinary keys here); a node's `entries` holds the
 * values of the filters that end at it, keyed by who owns them (a client id, a share group).
 * Invariant: a node with no entries and no children is removed, so the tree never outgrows the
 * live filters.
 */
interface TrieNode<V> {
  children: Map<string, TrieNode<V>> | undefined
  entries: Map<string, V> | undefined
}

function newNode<V>(): TrieNode<V> {
  return { children: undefined, entries: undefined }
}

export class TopicTrie<V> {
  private readonly root: TrieNode<V> = newNode()
  private entryCount = 0

  get size(): number {
    return this.entryCount
  }

  get(filter: string, key: string): V | undefined {
    let node: TrieNode<V> | undefined = this.root
    for (const level of filter.split('/')) {
      node = node.children?.get(level)
      if (node === undefined) return undefined
    }
    return node.entries?.get(key)
  }

  /** Sets the value of `key` under `filter`; returns true when it was not there before. */
  set(filter: string, key: string, value: V): boolean {
    let node = this.root
    for (const level of filter.split('/')) {
      node.children ??= new Map()
      let child = node.children.get(level)
      if (child === undefined) {
        child = newNode()
        node.children.set(level, child)
      }
      node = child
    }
    node.entries ??= new Map()
    const isNew = !node.entries.has(key)
    node.entries.set(key, value)
    if (isNew) this.entryCount++
    return isNew
  }

  delete(filter: string, key: string): V | undefined {
    const path: TrieNode<V>[] = [this.root]
    const levels = filter.split('/')
    for (const level of levels) {
      const child = path[path.length - 1].children?.get(level)
      if (child === undefined) return undefined
      path.push(child)
    }
    const node = path[path.length - 1]
    const value = node.entries?.get(key)
    if (value === undefined) return undefined
    node.entries!.delete(key)
    this.entryCount--
    for (let i = path.length - 1; i > 0; i--) {
      const current = path[i]
      if ((current.entries?.size ?? 0) > 0 || (current.children?.size ?? 0) > 0) break
      path[i - 1].children!.delete(levels[i - 1])
    }
    return value
  }

  /**
   * Every value whose filter matches `topic`. A topic starting with '$' is not matched by a
   * filter starting with a wildcard [MQTT-4.7.2-1].
   */
  match(topic: string): V[] {
    const out: V[] = []
    collect(this.root, topic.split('/'), 0, topic.charCodeAt(0) === 36, out)
    return out
  }
}

function collect<V>(node: TrieNode<V>, levels: string[], index: number, isSystem: boolean, out: V[]): void {
  const children = node.children
  if (index === levels.length) {
    if (node.entries !== undefined) for (const value of node.entries.values()) out.push(value)
    // 'a/#' also matches 'a' [MQTT-4.7.1-2]
    const hash = children?.get('#')
    if (hash?.entries !== undefined) for (const value of hash.entries.values()) out.push(value)
    return
  }
  if (children === undefined) return
  const wildcardsAllowed = !(isSystem && index === 0)
  if (wildcardsAllowed) {
    const hash = children.get('#')
    if (hash?.entries !== undefined) for (const value of hash.entries.values()) out.push(value)
    const plus = children.get('+')
    if (plus !== undefined) collect(plus, levels, index + 1, isSystem, out)
  }
  const exact = children.get(levels[index])
  if (exact !== undefined) collect(exact, levels, index + 1, isSystem, out)
}
