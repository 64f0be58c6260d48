import { readFile } from 'node:fs/promises'
import { type TopicNode, TopicTree } from '../topic-tree.js'
import { parseFilter } from '../topics.js'
import type { ClientIdentity } from './hooks.js'

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
  forClient(client: ClientIdentity): ClientAcl {
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
   * May the client subscribe to `filter` (without any $share prefix)? Granted when one read rule covers
   * the filter: every topic the filter matches, the rule matches too (F's `+` / `#` are levels R's
   * wildcards must cover: R `a/+` covers F `a/b` and `a/+`, not `a/#`; R `a/#` covers all three and `a`).
   * Refused when a deny rule covers the filter. A deny rule that covers only part of the filter refuses
   * it too, unless `readCheckedOnDelivery`: then the subscription stands and delivery asks `canRead`.
   */
  canSubscribe(filter: string, readCheckedOnDelivery: boolean): boolean {
    const levels = filter.split('/')
    for (const set of this.sets) {
      if (readCheckedOnDelivery ? covers(set.deny.root, levels, 0) : overlaps(set.deny.root, levels, 0)) return false
    }
    for (const set of this.sets) if (covers(set.read.root, levels, 0)) return true
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
 * Matching a topic name is the tree's own walk; whether a rule covers or overlaps a whole filter are
 * relations between two filters that only the ACL asks about, so their walks live here, over the same nodes.
 */
class RuleSet {
  readonly read = new TopicTree<true>()
  readonly write = new TopicTree<true>()
  readonly deny = new TopicTree<true>()
  isEmpty = true

  add(access: AclAccess, topic: string): void {
    this.isEmpty = false
    const levels = topic.split('/')
    if (access === 'deny') this.deny.set(levels, true)
    if (access === 'read' || access === 'readwrite') this.read.set(levels, true)
    if (access === 'write' || access === 'readwrite') this.write.set(levels, true)
  }
}

type Node = TopicNode<true>

/** Whether a rule's topic ends at the node. */
function ends(node: Node | undefined): boolean {
  return node?.value === true
}

/** A wildcard rule level may stand for topic level `index`, unless that is a first level starting with '$' [MQTT-4.7.2-1]. */
function wildcardMay(levels: string[], index: number): boolean {
  return index !== 0 || levels[0].charCodeAt(0) !== 36 /* $ */
}

/** Does some rule in the tree match every topic the filter `levels` matches? */
function covers(node: Node, levels: string[], index: number): boolean {
  const children = node.children
  if (index === levels.length) return ends(node) || ends(children?.get('#'))
  if (children === undefined) return false
  const level = levels[index]
  if (wildcardMay(levels, index)) {
    if (ends(children.get('#'))) return true
    if (level === '#') return false // only a rule's '#' covers a filter's '#'
    const plus = children.get('+')
    if (plus !== undefined && covers(plus, levels, index + 1)) return true
    if (level === '+') return false // only a rule's '+' or '#' covers a filter's '+'
  }
  const exact = children.get(level)
  return exact !== undefined && covers(exact, levels, index + 1)
}

/** Is there a topic that both some rule in the tree and the filter `levels` match? */
function overlaps(node: Node, levels: string[], index: number): boolean {
  const children = node.children
  if (index === levels.length) return ends(node) || ends(children?.get('#'))
  const level = levels[index]
  if (level === '#') {
    // The filter's '#' matches the parent topic (`a/#` matches `a`) and everything below.
    if (index > 0 && ends(node)) return true
    if (children === undefined) return false
    for (const key of children.keys()) if (index > 0 || key.charCodeAt(0) !== 36) return true
    return false
  }
  if (children === undefined) return false
  if (wildcardMay(levels, index)) {
    if (ends(children.get('#'))) return true
    const plus = children.get('+')
    if (plus !== undefined && overlaps(plus, levels, index + 1)) return true
  }
  if (level === '+') {
    for (const [key, child] of children) {
      if (key === '#' || key === '+' || (index === 0 && key.charCodeAt(0) === 36)) continue
      if (overlaps(child, levels, index + 1)) return true
    }
    return false
  }
  const exact = children.get(level)
  return exact !== undefined && overlaps(exact, levels, index + 1)
}
