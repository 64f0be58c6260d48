import type { PerSubscriber } from '../message.js'

/**
 * The 5.0 Topic Aliases of one connection, both ways (spec 3.3.2.3.4): the inbound ones the client set, and
 * the outbound ones we hand out, up to the client's Topic Alias Maximum, to the first topics we send.
 * A connection makes this only once an alias is in play: most clients never alias.
 */
export class TopicAliases {
  private inbound: Map<number, string> | undefined
  private outbound: Map<string, number> | undefined

  constructor(private readonly outboundLimit: number) {}

  learn(alias: number, topic: string): void {
    this.inbound ??= new Map()
    this.inbound.set(alias, topic)
  }

  topicOf(alias: number): string | undefined {
    return this.inbound?.get(alias)
  }

  /** The per-subscriber part of a PUBLISH of `topic`, with its outbound alias when it has or gets one. */
  outboundFor(topic: string, perSubscriber: PerSubscriber | undefined): PerSubscriber | undefined {
    if (this.outboundLimit === 0) return perSubscriber
    this.outbound ??= new Map()
    const aliases = this.outbound
    const existing = aliases.get(topic)
    if (existing !== undefined) {
      return { subscriptionIds: perSubscriber?.subscriptionIds, topicAlias: existing, sendTopic: false }
    }
    if (aliases.size >= this.outboundLimit) return perSubscriber
    const alias = aliases.size + 1
    aliases.set(topic, alias)
    return { subscriptionIds: perSubscriber?.subscriptionIds, topicAlias: alias, sendTopic: true }
  }
}
