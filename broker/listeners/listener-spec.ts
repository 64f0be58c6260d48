import type { ListenAddress } from './tcp.js'
import type { TlsSettings } from './tls.js'

/**
 * What `Broker.listen` opens: MQTT over TCP (`mqtt`, the default, so a bare `{ host, port }` still
 * works) or over TLS (`mqtts`) with that listener's certificates. Later: `ws` and `wss`.
 */
export type ListenerSpec =
  | ListenAddress & { protocol?: 'mqtt' }
  | ListenAddress & { protocol: 'mqtts', tls: TlsSettings }
