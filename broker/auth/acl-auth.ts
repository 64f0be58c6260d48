import type { QoS } from 'mqtt-packet'
import { Reason } from '../protocol/reason-codes.js'
import { parseFilter } from '../topics.js'
import type { Acl, ClientAcl } from './acl.js'
import { type AuthHooks, allowAll, type ReadAuthorizer, type SubscriberIdentity } from './hooks.js'

/** One client's compiled ACL, valid while the identity and the ACL it was made from stay the same. */
interface Compiled {
  acl: Acl
  clientId: string
  username: string | undefined
  rules: ClientAcl
}

/**
 * AuthHooks that authorize by an ACL file and leave authentication to whoever does it (a password file,
 * certificates, or allow-all): `new AclAuthorizer(acl, passwords.authenticate)`. The methods are
 * prototype methods: pass the object, not the methods alone.
 *
 * Each client's rules are compiled on first use and kept with its identity object (a Connection, or a
 * Session for deliveries) in a WeakMap, so the publish path costs a WeakMap look-up and a
 * per-topic cache hit. `replace` swaps in a reloaded ACL (SIGHUP): existing subscriptions stay, and what
 * they deliver follows the new rules, since every delivery asks `authorizeRead`.
 */
export class AclAuthorizer implements AuthHooks, ReadAuthorizer {
  private acl: Acl
  private compiled = new WeakMap<SubscriberIdentity, Compiled>()
  private version = 0

  constructor(
    acl: Acl,
    readonly authenticate: AuthHooks['authenticate'] = allowAll.authenticate
  ) {
    this.acl = acl
  }

  /** Granted subscriptions may match denied topics: deliveries are checked. */
  get reads(): ReadAuthorizer {
    return this
  }

  get rulesVersion(): number {
    return this.version
  }

  replace(acl: Acl): void {
    this.acl = acl
    this.compiled = new WeakMap()
    this.version++
  }

  /** QoS and retain do not enter into it: Mosquitto's ACLs have no rule for them either. */
  authorizePublish(client: SubscriberIdentity, topic: string, _qos: QoS, _retain: boolean): boolean {
    return this.rulesFor(client).canWrite(topic)
  }

  /**
   * The QoS asked for, or 0x87 Not Authorized when the filter can match no topic the client may read (the
   * subscribe handler answers 0x80 to 3.1.1 clients). A shared subscription `$share/{group}/{filter}` is
   * judged by its filter.
   */
  authorizeSubscribe(client: SubscriberIdentity, filter: string, qos: QoS): number {
    const parsed = parseFilter(filter, Infinity, Infinity)
    if (typeof parsed === 'string') return Reason.NotAuthorized
    return this.rulesFor(client).canSubscribe(parsed.filter) ? qos : Reason.NotAuthorized
  }

  /** May a message on `topic` be delivered to `client`? For the delivery path; cached per client and topic. */
  authorizeRead(client: SubscriberIdentity, topic: string): boolean {
    return this.rulesFor(client).canRead(topic)
  }

  private rulesFor(client: SubscriberIdentity): ClientAcl {
    const known = this.compiled.get(client)
    if (known !== undefined && known.acl === this.acl && known.clientId === client.clientId && known.username === client.username) {
      return known.rules
    }
    const rules = this.acl.forClient(client)
    this.compiled.set(client, { acl: this.acl, clientId: client.clientId, username: client.username, rules })
    return rules
  }
}
