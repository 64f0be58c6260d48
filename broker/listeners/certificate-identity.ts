import type { PeerCertificate, TLSSocket } from 'node:tls'

/**
 * Who a verified client certificate names, for listeners with use_identity_as_username: the listener
 * records it per socket when the handshake ends, and CONNECT asks for it. A WeakMap rather than a field
 * on Connection, so plain TCP connections pay nothing and the listener stays free of MQTT.
 *
 * Invariant: a socket is in the map exactly when its listener makes the certificate the user name; the
 * value is the name, or null when the certificate is not verified or names nobody (CONNECT is then refused).
 */
const identities = new WeakMap<object, string | null>()

export type CertificateUsername = { username: string } | { refused: string } | undefined

/** Called by the TLS listener for each socket of a listener that uses the certificate as the user name. */
export function rememberCertificateIdentity(socket: TLSSocket, holder: object = socket): void {
  identities.set(holder, socket.authorized ? (identityOf(socket.getPeerCertificate()) ?? null) : null)
}

/** undefined: the listener does not use certificates as user names; otherwise the name, or why there is none. */
export function certificateUsername(socket: object): CertificateUsername {
  const identity = identities.get(socket)
  if (identity === undefined) return undefined
  if (identity === null) return { refused: 'no verified client certificate with a common name or subject alternative name' }
  return { username: identity }
}

/** The subject CN of the certificate the client presented on a TLS socket; undefined for other sockets or without one. */
export function certificateCommonName(socket: object): string | undefined {
  if (!('getPeerCertificate' in socket)) return undefined
  const cn = (socket as TLSSocket).getPeerCertificate()?.subject?.CN as string | string[] | undefined
  return Array.isArray(cn) ? cn[0] : cn
}

/** The subject's CN, else the first subject alternative name (its value, without the `DNS:` / `email:` kind). */
export function identityOf(certificate: PeerCertificate): string | undefined {
  if (certificate === undefined || certificate.subject === undefined) return undefined
  const cn = certificate.subject.CN as string | string[] | undefined
  const first = Array.isArray(cn) ? cn[0] : cn
  if (first !== undefined && first !== '') return first
  const san = certificate.subjectaltname?.split(',')[0]?.trim()
  if (san === undefined || san === '') return undefined
  const colon = san.indexOf(':')
  const value = colon < 0 ? san : san.slice(colon + 1)
  return value === '' ? undefined : value
}
