import { streamIdAfter } from '../store/delivery-sources.js'
import type { HandedOver } from './handover-records.js'

/**
 * The sessions a drain delivers to, each from the first entry it does not have yet: a session's writes record the
 * entry they delivered (DeliverySources), so what the dead member delivered and made durable before it died, but had
 * not yet acknowledged in its stream, is not delivered twice. Two copies of one message in two entries (relayed and
 * live) are told apart by identity instead (recovery-overlap.ts, told what each session had: NodeStream.drain).
 */
export class DrainedSessions {
  constructor(
    private readonly clientIds: ReadonlySet<string>,
    private readonly had: ReadonlyMap<string, string>,
    /** The sessions the dead member had let go lately: what matches their filters goes on to them (handover-records.ts). */
    readonly handedOver: HandedOver | undefined
  ) {}

  /** The sessions that still need entry `id`. */
  without(id: string): ReadonlySet<string> {
    if (this.had.size === 0) return this.clientIds
    const need = new Set<string>()
    for (const clientId of this.clientIds) {
      const last = this.had.get(clientId)
      if (last === undefined || streamIdAfter(id, last)) need.add(clientId)
    }
    return need
  }
}
