import { readFile } from 'node:fs/promises'
import { childOf, type TopicNode, TopicTree } from '../topic-tree.js'
import { parseFilter } from '../topics.js'
import type { SubscriberIdentity } from './hooks.js'

/**
 * Access control lists in the format of Mosquitto's `acl_file` (mosquitto.conf(5), src/security_default.c):
 *
 *     # comment
 *     topic read public/#              before any `user` line: rules for anonymous clients
 *     user alice                       starts alice's section (sections with the same name merge)
 *     topic readwrite home/alice/#     no access word means readwrite
 *     topic deny home/alice/secret
 *     pattern write devices/%c/state   every client, %c = client id, %u = user name
 *
 * Decisions, for a client: the rules of its section (its user's, or the anonymous one when it has no
 * user name) plus every pattern. Anything not granted is denied; a matching `deny` rule wins over every
 * grant (Mosquitto lets a user's grant beat a pattern's deny; we don't). Rule topics match with the MQTT
 * wildcard rules, so `#` and `+/...` never reach `$SYS` or any other `$` topic [MQTT-4.7.2-1]: `$SYS` is
 * readable only where a rule names it.
 *
 * Subscriptions: a SUBSCRIBE is refused only when no topic its filter can match is readable, that is when no
 * read rule shares a topic with the filter, or every topic they share is denied (`test/nosubscribe` itself
 * under `deny test/nosubscribe`; `secret/a/+` under `deny secret/#`). Any other filter is granted, `#`
 * beside a deny rule included, and each message is checked for read access when it would be delivered
 * (retained ones too): denied ones are skipped. Mosquitto grants such filters too and relies on the same
 * per-message check; refusing a filter that can never deliver anything tells the client so at once.
 *
 * Stricter than Mosquitto, on purpose: an unknown access word is an error rather than the first word of a
 * topic (a topic with spaces needs an explicit access word), `%u` / `%c` in a `topic` line is an error
 * rather than literal text, and a client whose substituted id or user name contains `/`, `+` or `#`
 * gets no access at all once a pattern would substitute it (it could widen or cross into another
 * client's pattern topics).
 */

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny'

const ACCESS_WORDS: ReadonlySet<string> = new Set(['read', 'write', 'readwrite', 'deny'])

export interface AclRule {
  /** `topic` rules belong to one section; `pattern` rules to every client, after substitution. */
  kind: 'topic' | 'pattern'
  /** The user section of a topic rule; undefined for the anonymous section and for patterns. */
  user: string | undefined
  access: AclAccess
  topic: string
  /** 1-based line in the file, for messages. */
  line: number
}

export class AclParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string
  ) {
    super(`${file}:${line}: ${problem}`)
    this.name = 'AclParseError'
  }
}

/** Reads and parses an ACL file; errors name the file and line. */
export async function loadAcl(path: string): Promise<Acl> {
  return parseAcl(await readFile(path, 'utf8'), path)
}

/** Parses the text of an ACL file; `file` only names it in errors. */
export function parseAcl(text: string, file = '<acl>'): Acl {
  const rules: AclRule[] = []
  let user: string | undefined
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    const fail = (problem: string): never => {
      throw new AclParseError(file, i + 1, problem)
    }
    const [keyword, rest] = splitWord(line)
    if (keyword === 'user') {
      if (rest === '') fail("'user' without a user name")
      user = rest
    } else if (keyword === 'topic' || keyword === 'pattern') {
      rules.push({ kind: keyword, user: keyword === 'topic' ? user : undefined, ...parseRule(keyword, rest, fail), line: i + 1 })
    } else {
      fail(`unknown keyword '${keyword}': expected user, topic or pattern`)
    }
  }
  return new Acl(rules)
}

function parseRule(keyword: string, rest: string, fail: (problem: string) => never): { access: AclAccess; topic: string } {
  if (rest === '') fail(`'${keyword}' without a topic`)
  let [access, topic] = splitWord(rest)
  if (ACCESS_WORDS.has(access)) {
    if (topic === '') fail(`'${keyword} ${access}' without a topic`)
  } else if (topic !== '') {
    fail(`unknown access '${access}': expected read, write, readwrite or deny (a topic with spaces needs one of them first)`)
  } else {
    topic = access
    access = 'readwrite'
  }
  const parsed = parseFilter(topic, Infinity, Infinity)
  if (typeof parsed === 'string') fail(`invalid topic '${topic}': ${parsed}`)
  if (typeof parsed !== 'string' && parsed.group !== undefined) {
    fail(`'${topic}': a rule never names the $share/{group}/ prefix; shared subscriptions are checked by the filter after it`)
  }
  if (keyword === 'topic' && /%[uc]/.test(topic)) fail(`'${topic}': %u and %c are substituted only in 'pattern' lines`)
  return { access: access as AclAccess, topic }
}

function splitWord(text: string): [string, string] {
  const match = /\s/.exec(text)
  if (match === null) return [text, '']
  return [text.slice(0, match.index), text.slice(match.index).trim()]
}

/** A parsed ACL file: the rules, compiled per section once; `forClient` adds a client's own patterns. */
export class Acl {
  private readonly anonymous = new RuleSet()
  private readonly users = new Map<string, RuleSet>()
  /** Patterns without %u / %c are the same for every client: compiled once. */
  private readonly fixedPatterns = new RuleSet()
  private readonly substitutedPatterns: AclRule[] = []
  private readonly substitutesClientId: boolean
  private readonly substitutesUsername: boolean

  constructor(readonly rules: readonly AclRule[]) {
    for (const rule of rules) {
      if (rule.kind === 'pattern') {
        if (/%[uc]/.test(rule.topic)) this.substitutedPatterns.push(rule)
        else this.fixedPatterns.add(rule.access, rule.topic)
      } else if (rule.user === undefined) {
        this.anonymous.add(rule.access, rule.topic)
      } else {
        let set = this.users.get(rule.user)
        if (set === undefined) {
          set = new RuleSet()
          this.users.set(rule.user, set)
        }
        set.add(rule.access, rule.topic)
      }
    }
    this.substitutesClientId = this.substitutedPatterns.some((rule) => rule.topic.includes('%c'))
    this.substitutesUsername = this.substitutedPatterns.some((rule) => rule.topic.includes('%u'))
  }

  /** The rules that apply to one client, ready to answer for it; make it once per connection. */
  forClient(client: SubscriberIdentity): ClientAcl {
    const { clientId, username } = client
    if (
      (this.substitutesClientId && unsafeSubstitute(clientId)) ||
      (this.substitutesUsername && username !== undefined && unsafeSubstitute(username))
    ) {
      return new ClientAcl([])
    }
    const sets: RuleSet[] = []
    const section = username === undefined ? this.anonymous : this.users.get(username)
    if (section !== undefined && !section.isEmpty) sets.push(section)
    if (!this.fixedPatterns.isEmpty) sets.push(this.fixedPatterns)
    const own = new RuleSet()
    for (const rule of this.substitutedPatterns) {
      // A pattern with %u says nothing about clients without a user name (as in Mosquitto).
      if (username === undefined && rule.topic.includes('%u')) continue
      own.add(
        rule.access,
        rule.topic.replace(/%[uc]/g, (token) => (token === '%c' ? clientId : username!))
      )
    }
    if (!own.isEmpty) sets.push(own)
    return new ClientAcl(sets)
  }
}

function unsafeSubstitute(value: string): boolean {
  return /[/+#]/.test(value)
}

/** Most topics remembered per client and direction; a device publishes to few topics, so this rarely fills. */
const CACHE_LIMIT = 256

/**
 * One client's view of the ACL: answers publish / read per topic (cached) and subscribe per filter.
 * Holds the section's shared rules and the client's own substituted patterns.
 */
export class ClientAcl {
  private readonly writeCache = new Map<string, boolean>()
  private readonly readCache = new Map<string, boolean>()

  constructor(private readonly sets: readonly RuleSet[]) {}

  /** May the client publish to `topic` (a topic name, no wildcards)? */
  canWrite(topic: string): boolean {
    return this.cached(this.writeCache, topic, 'write')
  }

  /** May a message on `topic` be delivered to the client? */
  canRead(topic: string): boolean {
    return this.cached(this.readCache, topic, 'read')
  }

  /**
   * May the client subscribe to `filter` (without any $share prefix)? Granted when some topic the filter
   * matches is readable: a read rule reaches into the filter (the two match a topic in common) and the
   * topics they share are not all denied. Delivery then asks `canRead` per message, so a filter that also
   * matches denied topics (`#` against `deny test/nosubscribe`) is granted and never sees them.
   */
  canSubscribe(filter: string): boolean {
    const levels = filter.split('/')
    const denyRoots = this.sets.map((set) => set.deny.root)
    for (const set of this.sets) {
      for (const rule of set.readTopics) {
        const shared = intersect(levels, rule)
        if (shared !== undefined && !allDenied(denyRoots, shared, 0)) return true
      }
    }
    return false
  }

  private cached(cache: Map<string, boolean>, topic: string, direction: 'read' | 'write'): boolean {
    let allowed = cache.get(topic)
    if (allowed === undefined) {
      allowed = this.decide(topic.split('/'), direction)
      if (cache.size >= CACHE_LIMIT) cache.clear()
      cache.set(topic, allowed)
    }
    return allowed
  }

  private decide(levels: string[], direction: 'read' | 'write'): boolean {
    for (const set of this.sets) if (set.deny.matchTopic(levels).length > 0) return false
    for (const set of this.sets) if (set[direction].matchTopic(levels).length > 0) return true
    return false
  }
}

/**
 * Rule topics, one topic tree per kind of access (a path ending at a node with a value is a rule's topic).
 * Matching a topic name is the tree's own walk; whether the deny rules match every topic of a filter is a
 * relation between filters that only the ACL asks about, so its walk lives here, over the same nodes.
 */
class RuleSet {
  readonly read = new TopicTree<true>()
  readonly write = new TopicTree<true>()
  readonly deny = new TopicTree<true>()
  /** The topics of the read rules, split into levels: what `canSubscribe` intersects a filter with. */
  readonly readTopics: string[][] = []
  isEmpty = true

  add(access: AclAccess, topic: string): void {
    this.isEmpty = false
    const levels = topic.split('/')
    if (access === 'deny') this.deny.set(levels, true)
    if (access === 'read' || access === 'readwrite') {
      this.read.set(levels, true)
      this.readTopics.push(levels)
    }
    if (access === 'write' || access === 'readwrite') this.write.set(levels, true)
  }
}

type Node = TopicNode<true>

/** Whether a rule's topic ends at the node. */
function ends(node: Node | undefined): boolean {
  return node?.value === true
}

/** A wildcard rule level may stand for topic level `index`, unless that is a first level starting with '$' [MQTT-4.7.2-1]. */
function wildcardMay(levels: readonly string[], index: number): boolean {
  return index !== 0 || !isDollar(levels[0])
}

function isDollar(level: string): boolean {
  return level.charCodeAt(0) === 36
}

/**
 * The filter that matches exactly the topics both filters match, or undefined when they share none. Level by
 * level: `+` gives way to the other side's level, `#` to the rest of the other side (`a/#` shares `a` with
 * `a`, since it matches its parent level, spec 4.7.1.2); a wildcard first level shares nothing with a
 * first level starting with '$' [MQTT-4.7.2-1].
 */
function intersect(a: readonly string[], b: readonly string[]): string[] | undefined {
  const shared: string[] = []
  for (let index = 0; ; index++) {
    const x = a[index]
    const y = b[index]
    if (x === undefined && y === undefined) return shared
    if (x === '#' || y === '#') {
      const rest = x === '#' ? b.slice(index) : a.slice(index)
      if (index === 0 && rest.length > 0 && isDollar(rest[0])) return undefined
      return shared.concat(rest)
    }
    if (x === undefined || y === undefined) return undefined
    if (x === '+' || y === '+') {
      const level = x === '+' ? y : x
      if (index === 0 && isDollar(level)) return undefined
      shared.push(level)
    } else if (x === y) {
      shared.push(x)
    } else {
      return undefined
    }
  }
}

/**
 * Does some deny rule match every topic of the filter `levels`, from `index` on? `nodes` are the places in
 * the deny trees that the levels before `index` lead to. A filter's `+` stands for any level, so it is
 * denied only through a rule's `+` or `#` (a level no rule names is one the rules' exact levels miss); a
 * filter's `#` is the topic so far (when it has a level) and every longer one, walked one `+` at a time
 * until a rule's `#` denies the rest or no rule reaches deeper.
 */
function allDenied(nodes: readonly Node[], levels: readonly string[], index: number): boolean {
  if (nodes.length === 0) return false
  if (wildcardMay(levels, index) && nodes.some((node) => ends(childOf(node, '#')))) return true
  if (index === levels.length) return nodes.some(ends)
  const level = levels[index]
  if (level === '#') {
    let reached = nodes
    for (let depth = index; reached.length > 0; depth++) {
      if (depth > index && reached.some((node) => ends(childOf(node, '#')))) return true
      if (depth > 0 && !reached.some(ends)) return false
      reached = childrenAt(reached, '+')
    }
    return false
  }
  const next =
    level === '+' || !wildcardMay(levels, index) ? childrenAt(nodes, level) : [...childrenAt(nodes, level), ...childrenAt(nodes, '+')]
  return allDenied(next, levels, index + 1)
}

function childrenAt(nodes: readonly Node[], key: string): Node[] {
  const found: Node[] = []
  for (const node of nodes) {
    const child = childOf(node, key)
    if (child !== undefined) found.push(child)
  }
  return found
}
