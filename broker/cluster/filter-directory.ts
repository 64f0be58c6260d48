import type { Logger } from 'pino'
import type { FilterListener } from '../router/message-router.js'
import type { RedisClient } from '../store/redis-connection.js'
import { TopicTree } from '../topic-tree.js'
import type { ClusterKeys } from './cluster-keys.js'
import { entryOf } from './entry-of.js'

/** Where the holders of a topic's matching filters are: what the cluster router forwards by. */
export interface ForwardPlan {
  /** Members (node runs, cluster-keys.ts) with a plain (non-shared) filter matching the topic. */
  readonly plainNodes: readonly string[]
  /** Each matching shared group (`{group}/{filter}`) and the cluster members holding members of it. */
  readonly groups: ReadonlyArray<{ readonly key: string; readonly nodes: readonly string[] }>
}

interface FilterHolders {
  plain: Set<string>
  /** `{group}/{filter}` -> nodes holding members of the group. */
  groups: Map<string, Set<string>>
}

const SHARE = '$share/'
/** Topics whose plans are remembered; past this the cache starts over. */
const CACHE_LIMIT = 20_000

/**
 * Which member (node run, cluster-keys.ts) holds which filter, cluster-wide. This member's own filters come from its
 * router (FilterListener) and go to its set in Redis (`filters:<member>`) with a note on the `filter-changes` channel;
 * the other members' sets — dead ones' too, until their recovery removes them, so what matches their sessions still
 * goes to their streams — are read in full at start, after every reconnect and every `refreshMs`, and kept current
 * between reads by those notes. A full read could answer with a set older than a note heard while it was on its way;
 * so a member that had a note during the read keeps what the notes made of it, and the next read settles it.
 *
 * Invariant: `tree` holds, at each filter, exactly the members whose entries (in `entries`) name it, so a topic's plan
 * is the union over the filters that match it. Plans are cached per topic and the cache is dropped on any change:
 * subscriptions change far less often than messages flow.
 */
export class FilterDirectory implements FilterListener {
  private readonly entries = new Map<string, Set<string>>()
  private readonly tree = new TopicTree<FilterHolders>()
  private readonly plans = new Map<string, ForwardPlan>()
  /** Notes heard per member, so a full read can tell whether one came while it was on its way. */
  private readonly notesHeard = new Map<string, number>()
  private knownNodes: readonly string[] = []
  /** The last change of this node's filters sent to Redis; settled once Redis has it (commands go in order). */
  private lastChange: Promise<void> | undefined
  private started = false
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly member: string,
    private readonly connections: { commands: RedisClient; subscriber: RedisClient },
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    private readonly refreshMs = 3000
  ) {
    this.entries.set(member, new Set())
  }

  /** Every member registered in the cluster (as of the last full read, and any heard of since): retained messages go to all of them. */
  get nodes(): readonly string[] {
    return this.knownNodes
  }

  async start(): Promise<void> {
    const { commands, subscriber } = this.connections
    subscriber.on('smessage', (channel: string, text: string) => {
      if (channel === this.keys.filterChanges) this.onNote(text)
    })
    await subscriber.ssubscribe(this.keys.filterChanges)
    this.started = true
    await this.publishOwn()
    await this.refresh()
    commands.on('ready', () => void this.publishOwn().then(() => this.refresh()))
    this.timer = setInterval(() => void this.refresh(), this.refreshMs)
  }

  stop(): void {
    clearInterval(this.timer)
    this.started = false
  }

  /** The members to forward a message on `topic` to (this one included where it holds a match). */
  plan(topic: string): ForwardPlan {
    let plan = this.plans.get(topic)
    if (plan !== undefined) return plan
    const plain = new Set<string>()
    const groups = new Map<string, Set<string>>()
    for (const holders of this.tree.matchTopic(topic.split('/'))) {
      for (const node of holders.plain) plain.add(node)
      for (const [key, nodes] of holders.groups) {
        const all = entryOf(groups, key, () => new Set<string>())
        for (const node of nodes) all.add(node)
      }
    }
    plan = { plainNodes: [...plain], groups: [...groups].map(([key, nodes]) => ({ key, nodes: [...nodes] })) }
    if (this.plans.size >= CACHE_LIMIT) this.plans.clear()
    this.plans.set(topic, plan)
    return plan
  }

  filterAdded(filter: string): void {
    this.changeOwn('+', filter)
  }

  filterRemoved(filter: string): void {
    this.changeOwn('-', filter)
  }

  groupAdded(group: string, filter: string): void {
    this.changeOwn('+', `${SHARE}${group}/${filter}`)
  }

  groupRemoved(group: string, filter: string): void {
    this.changeOwn('-', `${SHARE}${group}/${filter}`)
  }

  /** Drops a dead member's filters, here and in Redis, and tells the others to read its (now empty) set again. */
  async removeMember(member: string): Promise<void> {
    this.replaceNode(member, new Set())
    await this.connections.commands.multi().del(this.keys.filters(member)).spublish(this.keys.filterChanges, `${member}\n!`).exec()
  }

  private changeOwn(op: '+' | '-', entry: string): void {
    const own = this.entries.get(this.member)!
    if (op === '+') own.add(entry)
    else own.delete(entry)
    this.index(this.member, entry, op === '+')
    if (!this.started) return // start() writes the whole set
    const key = this.keys.filters(this.member)
    const multi = this.connections.commands.multi()
    ;(op === '+' ? multi.sadd(key, entry) : multi.srem(key, entry)).spublish(this.keys.filterChanges, `${this.member}\n${op}${entry}`)
    const change = multi.exec().then(
      () => {},
      (error: unknown) => {
        // Rewritten in full when Redis is back (the 'ready' handler), so nothing is left out.
        this.logger.warn({ err: error, entry }, 'cluster: could not record a filter change in Redis; it is written again on reconnect')
      }
    )
    this.lastChange = change
    void change.then(() => {
      if (this.lastChange === change) this.lastChange = undefined
    })
  }

  /** Settles once this member's filter changes so far are in Redis and their notes published (or failed, and logged). */
  announced(): Promise<void> | undefined {
    return this.lastChange
  }

  /** Writes this member's whole set (after a start or a reconnect: Redis may have lost or missed changes). */
  private async publishOwn(): Promise<void> {
    const key = this.keys.filters(this.member)
    const own = [...this.entries.get(this.member)!]
    const multi = this.connections.commands.multi().del(key)
    if (own.length > 0) multi.sadd(key, ...own)
    await multi
      .spublish(this.keys.filterChanges, `${this.member}\n!`)
      .exec()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'cluster: could not write this node filters to Redis'))
  }

  /** Reads every other member's set again. */
  private async refresh(): Promise<void> {
    const commands = this.connections.commands
    try {
      const heardBefore = new Map(this.notesHeard)
      const nodes = await commands.hkeys(this.keys.nodes)
      const pipeline = commands.pipeline()
      for (const node of nodes) pipeline.smembers(this.keys.filters(node))
      const answers = (await pipeline.exec()) ?? []
      this.knownNodes = nodes.includes(this.member) ? nodes : [...nodes, this.member]
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i]
        const [error, members] = answers[i] ?? [new Error('no answer'), undefined]
        if (node === this.member || error !== null) continue
        if ((this.notesHeard.get(node) ?? 0) !== (heardBefore.get(node) ?? 0)) continue
        this.replaceNode(node, new Set(members as string[]))
      }
      for (const node of [...this.entries.keys()]) if (node !== this.member && !nodes.includes(node)) this.replaceNode(node, new Set())
    } catch (error) {
      this.logger.debug({ err: error }, 'cluster: filter directory not read; trying again later')
    }
  }

  private onNote(text: string): void {
    const newline = text.indexOf('\n')
    const node = text.slice(0, newline)
    if (node === this.member || newline < 0) return
    this.notesHeard.set(node, (this.notesHeard.get(node) ?? 0) + 1)
    // A member announces its filters when it starts: known from then on, before the next full read.
    if (!this.knownNodes.includes(node)) this.knownNodes = [...this.knownNodes, node]
    const op = text[newline + 1]
    const entry = text.slice(newline + 2)
    if (op === '!') {
      void this.readNode(node)
      return
    }
    const held = entryOf(this.entries, node, () => new Set<string>())
    if (op === '+') held.add(entry)
    else held.delete(entry)
    this.index(node, entry, op === '+')
  }

  private async readNode(node: string): Promise<void> {
    const heard = this.notesHeard.get(node)
    const members = await this.connections.commands.smembers(this.keys.filters(node)).catch(() => undefined)
    if (members !== undefined && this.notesHeard.get(node) === heard) this.replaceNode(node, new Set(members))
  }

  private replaceNode(node: string, entries: Set<string>): void {
    const before = this.entries.get(node) ?? new Set<string>()
    for (const entry of before) if (!entries.has(entry)) this.index(node, entry, false)
    for (const entry of entries) if (!before.has(entry)) this.index(node, entry, true)
    if (entries.size === 0 && node !== this.member) this.entries.delete(node)
    else this.entries.set(node, entries)
  }

  /** Adds or removes one node's entry in the tree. */
  private index(node: string, entry: string, held: boolean): void {
    const { group, filter } = parseEntry(entry)
    const levels = filter.split('/')
    let holders = this.tree.get(levels)
    if (holders === undefined) {
      if (!held) return
      holders = { plain: new Set(), groups: new Map() }
      this.tree.set(levels, holders)
    }
    if (group === undefined) {
      if (held) holders.plain.add(node)
      else holders.plain.delete(node)
    } else {
      const key = `${group}/${filter}`
      const nodes = entryOf(holders.groups, key, () => new Set<string>())
      if (held) nodes.add(node)
      else nodes.delete(node)
      if (nodes.size === 0) holders.groups.delete(key)
    }
    if (holders.plain.size === 0 && holders.groups.size === 0) this.tree.delete(levels)
    this.plans.clear()
  }
}

function parseEntry(entry: string): { group: string | undefined; filter: string } {
  if (!entry.startsWith(SHARE)) return { group: undefined, filter: entry }
  const slash = entry.indexOf('/', SHARE.length)
  return { group: entry.slice(SHARE.length, slash), filter: entry.slice(slash + 1) }
}
