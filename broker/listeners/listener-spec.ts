import type { ListenAddress } from './listen-on.js'
import type { TlsSettings } from './tls.js'

/**
 * What `Broker.listen` opens: MQTT over TCP (`mqtt`, the default, so a bare `{ host, port }` still
 * works), over TLS (`mqtts`) with that listener's certificates, or over WebSocket on `path` (default
 * `/mqtt`): `ws`, or `wss` with certificates as for mqtts.
 */
export type ListenerSpec =
  | ListenAddress & { protocol?: 'mqtt' }
  | ListenAddress & { protocol: 'mqtts', tls: TlsSettings }
  | ListenAddress & { protocol: 'ws', path?: string }
  | ListenAddress & { protocol: 'wss', path?: string, tls: TlsSettings }
