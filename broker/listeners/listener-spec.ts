import type { ListenAddress } from './listen-on.js'
import type { TlsSettings } from './tls.js'

/** What each listener decides for the clients that come in on it. */
export interface ListenerPolicy {
  /**
   * Clients without a user name may connect (and, without a password file, clients whose user name
   * nobody can check). Default here: true, because `new Broker()` without auth hooks lets everyone in
   * anyway; the command line and the config file work out the safe default (broker/config/listeners.ts).
   */
  allowAnonymous?: boolean
}

/** The listener a connection came in on: one object shared by all its connections. */
export interface ListenerInfo {
  /** `protocol:port`, as metrics and the admin API name it. */
  readonly name: string
  /** The listener's policy for clients without a user name (ListenerPolicy), passed on to the authentication hook. */
  readonly anonymousAllowed: boolean
}

/**
 * What `Broker.listen` opens: MQTT over TCP (`mqtt`, the default, so a bare `{ host, port }` still
 * works), over TLS (`mqtts`) with that listener's certificates, or over WebSocket on `path` (default
 * `/mqtt`): `ws`, or `wss` with certificates as for mqtts.
 */
export type ListenerSpec = ListenerPolicy &
  (
    | (ListenAddress & { protocol?: 'mqtt' })
    | (ListenAddress & { protocol: 'mqtts'; tls: TlsSettings })
    | (ListenAddress & { protocol: 'ws'; path?: string })
    | (ListenAddress & { protocol: 'wss'; path?: string; tls: TlsSettings })
  )
