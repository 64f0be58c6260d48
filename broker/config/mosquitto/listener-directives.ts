import { booleanValue, integerValue, stringValue } from './directive-values.js'
import type { DirectiveHandler, TlsKey } from './mosquitto-conversion.js'

/** Mosquitto's listener directives (mosquitto.conf(5), "Listeners"): each applies to the listener being read. */

function tlsFile(key: TlsKey): DirectiveHandler {
  return (directive, conversion) => {
    const value = stringValue(directive, conversion)
    if (value !== undefined) conversion.listener.tls[key] = { value, origin: directive }
  }
}

function tlsSwitch(key: TlsKey): DirectiveHandler {
  return (directive, conversion) => {
    const value = booleanValue(directive, conversion)
    if (value !== undefined) conversion.listener.tls[key] = { value, origin: directive }
  }
}

export const listenerDirectives: Record<string, DirectiveHandler> = {
  listener: (directive, conversion) => {
    const [portWord, address, ...more] = directive.words
    if (more.length > 0) return conversion.refuse(directive, 'listener takes a port and an optional address')
    const port = integerValue({ ...directive, words: [portWord ?? ''] }, conversion, 0, 65535)
    if (port === undefined) return
    if (address?.startsWith('/') === true || (port === 0 && address !== undefined))
      return conversion.refuse(directive, 'a listener on a unix socket: thermopost listens on TCP ports only')
    conversion.listeners.push({ origin: directive, port, host: address, websockets: false, tls: {}, security: {} })
  },
  port: (directive, conversion) => {
    const port = integerValue(directive, conversion, 1, 65535)
    if (port === undefined) return
    conversion.defaultListener.port = port
    conversion.defaultListenerAsked = directive
  },
  bind_address: (directive, conversion) => {
    const host = stringValue(directive, conversion)
    if (host === undefined) return
    conversion.defaultListener.host = host
    conversion.defaultListenerAsked = directive
  },
  protocol: (directive, conversion) => {
    if (directive.rest === 'mqtt' || directive.rest === 'websockets') conversion.listener.websockets = directive.rest === 'websockets'
    else conversion.refuse(directive, `protocol is mqtt or websockets, not '${directive.rest}'`)
  },
  socket_domain: (directive, conversion) => {
    if (directive.rest === 'ipv4' || directive.rest === 'ipv6') conversion.listener.socketDomain = directive.rest
    else conversion.refuse(directive, `socket_domain is ipv4 or ipv6, not '${directive.rest}'`)
  },
  max_connections: (directive, conversion) => {
    const value = integerValue(directive, conversion, -1, 10_000_000)
    if (value !== undefined) conversion.listener.maxConnections = { value, origin: directive }
  },
  certfile: tlsFile('cert'),
  keyfile: tlsFile('key'),
  cafile: tlsFile('cafile'),
  crlfile: tlsFile('crlfile'),
  require_certificate: tlsSwitch('require_certificate'),
  use_identity_as_username: tlsSwitch('use_identity_as_username'),
  tls_version: (directive, conversion) => {
    // Node offers TLS 1.2 and 1.3 and we allow both, which is Mosquitto's default; 1.1 is too weak to offer.
    if (directive.rest === 'tlsv1.2') conversion.note(directive, 'TLS 1.2 and 1.3 are allowed, as this line asks')
    else conversion.refuse(directive, `tls_version ${directive.rest}: thermopost allows TLS 1.2 and 1.3 (tls_version tlsv1.2)`)
  },
  max_qos: (directive, conversion) => {
    const value = integerValue(directive, conversion, 0, 2)
    if (value !== undefined && value < 2) conversion.refuse(directive, 'thermopost cannot limit a listener below QoS 2')
  }
}
