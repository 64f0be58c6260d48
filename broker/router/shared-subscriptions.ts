import type { ReadAuthorizer } from '../auth/hooks.js'
import type { Subscription } from './subscription.js'

/**
 * The members of one `$share/{group}/{filter}` (spec 4.8.2). Each message goes to one member,
 * round robin, preferring members that are connected so that an offline member's queue does not
 * swallow messages while others could take them.
 */
export class SharedGroup {
  readonly members: Subscription[] = []
  private cursor = 0

  constructor(
    readonly group: string,
    readonly filter: string
  ) {}

  upsert(subscription: Subscription): boolean {
    const index = this.members.findIndex((member) => member.session === subscription.session)
    if (index >= 0) {
      this.members[index] = subscription
      return false
    }
    this.members.push(subscription)
    return true
  }

  remove(subscription: Subscription): void {
    const index = this.members.indexOf(subscription)
    if (index < 0) return
    this.members.splice(index, 1)
    if (this.cursor > index) this.cursor--
  }

  /**
   * The member that takes the next message, excluding the publisher where it asked for No Local and, when
   * `reads` is given (an ACL), members that may not read the message on `topic`: another member takes it, or none.
   */
  pick(origin: string, reads: ReadAuthorizer | undefined, topic: string): Subscription | undefined {
    const count = this.members.length
    let fallback: Subscription | undefined
    for (let step = 0; step < count; step++) {
      const index = (this.cursor + step) % count
      const member = this.members[index]
      if (member.noLocal && member.session.clientId === origin) continue
      if (reads !== undefined && !reads.authorizeRead(member.session, topic)) continue
      if (member.session.isConnected) {
        this.cursor = (index + 1) % count
        return member
      }
      fallback ??= member
    }
    if (fallback !== undefined) this.cursor = (this.members.indexOf(fallback) + 1) % count
    return fallback
  }
}
