/**
 * A tree of topic levels, the one structure behind every topic look-up of the broker: subscriptions
 * (filters stored, matched by a topic name: `matchTopic`), retained messages and the router's match cache
 * (topic names stored, matched by a filter: `matchFilter`), and ACL rules (filters stored, matched by a
 * topic name; auth/acl.ts adds its own filter-against-filter walks over `root`).
 *
 * Each node is one level of a stored path, keyed by the level's text: '+' and '#' are ordinary keys, and
 * what they mean is up to the walk. A node's `value` belongs to the path that ends at it.
 * Invariants: apart from the root, every node holds a value or has children (a node left with neither is
 * removed), so the tree never outgrows what it holds and every leaf ends a stored path. A node's children
 * are the only child itself, from two on an array of exactly their number, and past SMALL a Map by level: most
 * nodes of a topic tree have one child (a device's own levels) or a few (a device's topics), and a Map costs
 * about 260 bytes where the child is one reference and an array of two about 50.
 */
export interface TopicNode<V> {
  /** The level this node stands for under its parent ('' for the root). */
  readonly level: string
  children: TopicNode<V> | TopicNode<V>[] | Map<string, TopicNode<V>> | undefined
  value: V | undefined
}

function newNode<V>(level: string): TopicNode<V> {
  return { level, children: undefined, value: undefined }
}

/** Children held in an array at most; a node with more holds a Map. A scan of this many levels is as quick as a look-up. */
const SMALL = 8

/** The child of `node` at `level`, if it has one. */
export function childOf<V>(node: TopicNode<V>, level: string): TopicNode<V> | undefined {
  const children = node.children
  if (children === undefined) return undefined
  if (children instanceof Map) return children.get(level)
  if (Array.isArray(children)) {
    for (let i = 0; i < children.length; i++) if (children[i].level === level) return children[i]
    return undefined
  }
  return children.level === level ? children : undefined
}

/** Every child of `node`. */
export function childrenOf<V>(node: TopicNode<V>): Iterable<TopicNode<V>> {
  const children = node.children
  if (children === undefined) return []
  if (children instanceof Map) return children.values()
  return Array.isArray(children) ? children : [children]
}

function addChild<V>(node: TopicNode<V>, child: TopicNode<V>): void {
  const children = node.children
  if (children === undefined) node.children = child
  else if (children instanceof Map) children.set(child.level, child)
  else if (!Array.isArray(children)) node.children = [children, child]
  // A new array of the exact size: a push would leave room for about 16 more.
  else if (children.length < SMALL) node.children = [...children, child]
  else node.children = new Map([...children, child].map((each) => [each.level, each]))
}

function removeChild<V>(node: TopicNode<V>, level: string): void {
  const children = node.children
  if (children === undefined) return
  let left: TopicNode<V>[]
  if (children instanceof Map) {
    children.delete(level)
    if (children.size > SMALL) return
    left = [...children.values()]
  } else if (Array.isArray(children)) {
    left = children.filter((child) => child.level !== level)
  } else {
    if (children.level === level) node.children = undefined
    return
  }
  node.children = left.length === 0 ? undefined : left.length === 1 ? left[0] : left
}

const DOLLAR = 36

export class TopicTree<V> {
  readonly root: TopicNode<V> = newNode('')
  private count = 0

  /** How many paths hold a value. */
  get size(): number {
    return this.count
  }

  get(levels: readonly string[]): V | undefined {
    let node: TopicNode<V> | undefined = this.root
    for (const level of levels) {
      node = childOf(node, level)
      if (node === undefined) return undefined
    }
    return node.value
  }

  set(levels: readonly string[], value: V): void {
    let node = this.root
    for (const level of levels) {
      let child = childOf(node, level)
      if (child === undefined) {
        child = newNode(level)
        addChild(node, child)
      }
      node = child
    }
    if (node.value === undefined) this.count++
    node.value = value
  }

  /** Removes the path's value, and the nodes left empty; false when it held none. */
  delete(levels: readonly string[]): boolean {
    const path: TopicNode<V>[] = [this.root]
    for (const level of levels) {
      const child = childOf(path[path.length - 1], level)
      if (child === undefined) return false
      path.push(child)
    }
    const node = path[path.length - 1]
    if (node.value === undefined) return false
    node.value = undefined
    this.count--
    for (let i = path.length - 1; i > 0; i--) {
      const current = path[i]
      if (current.value !== undefined || current.children !== undefined) break
      removeChild(path[i - 1], current.level)
    }
    return true
  }

  clear(): void {
    this.root.children = undefined
    this.root.value = undefined
    this.count = 0
  }

  /**
   * The values of every stored filter that matches the topic name `levels`. A topic starting with '$' is not
   * matched by a filter starting with a wildcard [MQTT-4.7.2-1].
   */
  matchTopic(levels: readonly string[]): V[] {
    const out: V[] = []
    collectFilters(this.root, levels, 0, levels[0].charCodeAt(0) === DOLLAR, out)
    return out
  }

  /**
   * The values of every stored topic name that the filter `levels` matches: the same relation as `matchTopic`
   * seen from the other side, so a filter finds exactly the stored topics whose `matchTopic` would find it.
   */
  matchFilter(levels: readonly string[]): V[] {
    const out: V[] = []
    collectTopics(this.root, levels, 0, out)
    return out
  }
}

function collectFilters<V>(node: TopicNode<V>, levels: readonly string[], index: number, isSystem: boolean, out: V[]): void {
  if (index === levels.length) {
    if (node.value !== undefined) out.push(node.value)
    // 'a/#' also matches 'a' (spec 4.7.1.2)
    const hash = childOf(node, '#')
    if (hash?.value !== undefined) out.push(hash.value)
    return
  }
  if (node.children === undefined) return
  if (!(isSystem && index === 0)) {
    const hash = childOf(node, '#')
    if (hash?.value !== undefined) out.push(hash.value)
    const plus = childOf(node, '+')
    if (plus !== undefined) collectFilters(plus, levels, index + 1, isSystem, out)
  }
  const exact = childOf(node, levels[index])
  if (exact !== undefined) collectFilters(exact, levels, index + 1, isSystem, out)
}

function collectTopics<V>(node: TopicNode<V>, levels: readonly string[], index: number, out: V[]): void {
  if (index === levels.length) {
    if (node.value !== undefined) out.push(node.value)
    return
  }
  const level = levels[index]
  if (level === '#') {
    // 'a/#' matches 'a' itself (spec 4.7.1.2); no '$' topics under a leading wildcard [MQTT-4.7.2-1]
    if (index > 0 && node.value !== undefined) out.push(node.value)
    for (const child of childrenOf(node)) if (index > 0 || child.level.charCodeAt(0) !== DOLLAR) collectAll(child, out)
    return
  }
  if (level === '+') {
    for (const child of childrenOf(node))
      if (index > 0 || child.level.charCodeAt(0) !== DOLLAR) collectTopics(child, levels, index + 1, out)
    return
  }
  const child = childOf(node, level)
  if (child !== undefined) collectTopics(child, levels, index + 1, out)
}

function collectAll<V>(node: TopicNode<V>, out: V[]): void {
  if (node.value !== undefined) out.push(node.value)
  for (const child of childrenOf(node)) collectAll(child, out)
}
