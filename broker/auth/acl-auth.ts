import type { QoS } from 'mqtt-packet'
import { Reason } from '../protocol/reason-codes.js'
import { parseFilter } from '../topics.js'
import type { Acl, ClientAcl } from './acl.js'
import { type AuthHooks, allowAll, type ClientIdentity } from './hooks.js'

export interface AclAuthOptions {
  /**
   * Whether the delivery path asks `authorizeRead` before each message it sends. Until it does, leave this
   * false: a subscription that a deny rule overlaps at all (`sensors/#` against `deny sensors/secret`) is
   * then refused, since nothing else would keep the denied topics from it. When true, such a subscription
   * is granted and the denied topics are filtered out at delivery.
   */
  readCheckedOnDelivery?: boolean
}

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
 * Each client's rules are compiled on first use and kept with its identity object (a Connection) in a
 * WeakMap, so the publish path costs a WeakMap look-up and a per-topic cache hit. `replace` swaps in a
 * reloaded ACL (SIGHUP); existing subscriptions are not re-checked.
 */
export class AclAuthorizer implements AuthHooks {
  private acl: Acl
  private compiled = new WeakMap<ClientIdentity, Compiled>()
  private readonly readCheckedOnDelivery: boolean

  constructor(
    acl: Acl,
    readonly authenticate: AuthHooks['authenticate'] = allowAll.authenticate,
    options: AclAuthOptions = {}
  ) {
    this.acl = acl
    this.readCheckedOnDelivery = options.readCheckedOnDelivery === true
  }

  replace(acl: Acl): void {
    this.acl = acl
    this.compiled = new WeakMap()
  }

  /** QoS and retain do not enter into it: Mosquitto's ACLs have no rule for them either. */
  authorizePublish(client: ClientIdentity, topic: string, _qos: QoS, _retain: boolean): boolean {
    return this.rulesFor(client).canWrite(topic)
  }

  /**
   * The QoS asked for, or 0x87 Not Authorized (the subscribe handler answers 0x80 to 3.1.1 clients).
   * A shared subscription `$share/{group}/{filter}` is judged by its filter.
   */
  authorizeSubscribe(client: ClientIdentity, filter: string, qos: QoS): number {
    const parsed = parseFilter(filter, Infinity, Infinity)
    if (typeof parsed === 'string') return Reason.NotAuthorized
    return this.rulesFor(client).canSubscribe(parsed.filter, this.readCheckedOnDelivery) ? qos : Reason.NotAuthorized
  }

  /** May a message on `topic` be delivered to `client`? For the delivery path; cached per client and topic. */
  authorizeRead(client: ClientIdentity, topic: string): boolean {
    return this.rulesFor(client).canRead(topic)
  }

  private rulesFor(client: ClientIdentity): ClientAcl {
    const known = this.compiled.get(client)
    if (known !== undefined && known.acl === this.acl && known.clientId === client.clientId && known.username === client.username) {
      return known.rules
    }
    const rules = this.acl.forClient(client)
    this.compiled.set(client, { acl: this.acl, clientId: client.clientId, username: client.username, rules })
    return rules
  }
}
