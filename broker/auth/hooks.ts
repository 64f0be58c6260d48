import type { QoS } from 'mqtt-packet'

/** Who is asking: enough for a decision, never the password beyond authenticate. */
export interface ClientIdentity {
  clientId: string
  username: string | undefined
  remoteAddress: string | undefined
}

/** Who a message would be delivered to: a session, which may be offline, so without an address. */
export type SubscriberIdentity = Pick<ClientIdentity, 'clientId' | 'username'>

/**
 * Read access, asked for each message about to be delivered (routed, or retained on SUBSCRIBE). Whoever keeps
 * its answers (the router, per cached topic) drops them when `rulesVersion` changes (an ACL reloaded on SIGHUP).
 */
export interface ReadAuthorizer {
  authorizeRead(subscriber: SubscriberIdentity, topic: string): boolean
  readonly rulesVersion: number
}

export interface ConnectCredentials extends ClientIdentity {
  password: Buffer | undefined
  /**
   * Set when the user name is the CN / SAN of a client certificate the TLS handshake verified (a listener
   * with use_identity_as_username); `username` is then that name, whatever the CONNECT said. The
   * certificate is the proof: hooks accept such a client without a password.
   */
  certificateIdentity?: string
  /**
   * The listener lets clients without a user name in (its allow_anonymous); without a password file, also
   * clients whose user name nobody can check, as Mosquitto does.
   */
  anonymousAllowed: boolean
}

/**
 * Authentication and authorization, asked on CONNECT, PUBLISH and SUBSCRIBE, and, where `reads` is given,
 * before each delivery. `allowAll` (no password or ACL file) and configure-auth.ts (password file, listener
 * anonymous policy, certificates, ACL file through acl-auth.ts) implement it.
 */
export interface AuthHooks {
  /** A CONNECT reason code: 0 accepts; 0x86 / 0x87 / 0x8A refuse. */
  authenticate(credentials: ConnectCredentials): number | Promise<number>
  authorizePublish(client: ClientIdentity, topic: string, qos: QoS, retain: boolean): boolean
  /** The QoS granted (at most `qos`), or a SUBACK failure reason code (≥ 0x80). */
  authorizeSubscribe(client: ClientIdentity, filter: string, qos: QoS): number
  /**
   * Present when a granted subscription may still match topics its subscriber may not read (an ACL file).
   * Absent, every subscriber reads all its subscriptions match, and delivery asks nothing.
   */
  readonly reads?: ReadAuthorizer
}

export const allowAll: AuthHooks = {
  authenticate: () => 0,
  authorizePublish: () => true,
  authorizeSubscribe: (_client, _filter, qos) => qos
}
