import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createSecureContext, createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls'
import { rememberCertificateIdentity } from './certificate-identity.js'
import type { ListenAddress } from './listen-on.js'
import { listenOn } from './listen-on.js'

/**
 * One TLS listener's settings. The names are those of the command-line flags and config keys
 * (`cafile` ↔ `--cafile`, `requireCertificate` ↔ `--require-certificate`); the files are PEM.
 */
export interface TlsSettings {
  /** The server's certificate, optionally followed by its intermediates. */
  cert: string
  key: string
  /** The CAs that client certificates are verified against. */
  cafile?: string
  /** Revoked client certificates. Node checks every CA of the client's chain, so it needs a CRL from each (a root CA's own one included). */
  crlfile?: string
  /** Ask every client for a certificate and refuse the handshake unless it verifies against `cafile` (and `crlfile`). */
  requireCertificate?: boolean
  /** The client certificate's CN (or first SAN) is the user name, as Mosquitto's use_identity_as_username; implies requireCertificate. */
  useIdentityAsUsername?: boolean
}

export interface TlsListener {
  server: Server
  address: AddressInfo
  settings: Readonly<TlsSettings>
  /** Re-reads the files (SIGHUP): new connections get the new certificates, open ones keep theirs. A bad file throws and changes nothing. */
  reload(): Promise<void>
}

/** A TLS file that cannot be read or does not hold what it should; the message names the file. */
export class TlsFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause: unknown }
  ) {
    super(message, options)
    this.name = 'TlsFileError'
  }
}

/** Handshakes that stall longer are dropped; MQTT's CONNECT timeout starts only after the handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000

/** What is wrong with the settings themselves (not the files), or undefined. */
export function tlsSettingsProblem(settings: TlsSettings): string | undefined {
  const needsCa = settings.requireCertificate === true || settings.useIdentityAsUsername === true
  // Without our own CA, Node would verify client certificates against the public web CAs: anyone with one would get in.
  if (needsCa && settings.cafile === undefined)
    return 'client certificates (require-certificate, use-identity-as-username) need a cafile to verify them against'
  if (settings.crlfile !== undefined && settings.cafile === undefined) return 'a crlfile needs a cafile'
  return undefined
}

/**
 * Reads and checks the certificate, key, CA and CRL files: the secure context a listener is made from.
 * TLS 1.2 is the oldest version offered.
 */
export async function readTlsContext(settings: TlsSettings): Promise<SecureContextOptions> {
  const [cert, key, ca, crl] = await Promise.all([
    readPem(settings.cert, 'certificate'),
    readPem(settings.key, 'key'),
    settings.cafile === undefined ? undefined : readPem(settings.cafile, 'CA'),
    settings.crlfile === undefined ? undefined : readPem(settings.crlfile, 'CRL')
  ])
  check(settings.cert, 'a PEM certificate', () => new X509Certificate(cert))
  check(settings.key, 'a PEM private key', () => createPrivateKey(key))
  if (ca !== undefined) check(settings.cafile!, 'PEM CA certificates', () => createSecureContext({ ca }))
  if (crl !== undefined) check(settings.crlfile!, 'a PEM CRL', () => createSecureContext({ ca, crl }))
  const context: SecureContextOptions = { cert, key, ca, crl, minVersion: 'TLSv1.2' }
  check(settings.key, `the key of the certificate in ${settings.cert}`, () => createSecureContext(context))
  return context
}

/**
 * A TLS listener (mqtts): hands every socket whose handshake succeeded to `accept`; a failed handshake
 * (wrong CA, revoked or expired certificate, TLS older than 1.2) never reaches it. Knows nothing of MQTT.
 */
export async function listenTls(address: ListenAddress, settings: TlsSettings, accept: (socket: TLSSocket) => void): Promise<TlsListener> {
  const problem = tlsSettingsProblem(settings)
  if (problem !== undefined) throw new Error(problem)
  const frozen = Object.freeze({ ...settings })
  const wantsCertificate = frozen.requireCertificate === true || frozen.useIdentityAsUsername === true
  const server = createServer(
    {
      ...(await readTlsContext(frozen)),
      requestCert: wantsCertificate,
      rejectUnauthorized: wantsCertificate,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS
    },
    (socket) => {
      if (frozen.useIdentityAsUsername === true) rememberCertificateIdentity(socket)
      accept(socket)
    }
  )
  // A refused handshake is the client's problem; without a listener Node only destroys the socket, as we want.
  server.on('tlsClientError', () => {})
  await listenOn(server, address)
  return {
    server,
    address: server.address() as AddressInfo,
    settings: frozen,
    reload: async () => {
      server.setSecureContext(await readTlsContext(frozen))
    }
  }
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new TlsFileError(file, `cannot read the TLS ${what} file ${file}: ${(error as Error).message}`, { cause: error })
  }
}

function check(file: string, holds: string, parse: () => unknown): void {
  try {
    parse()
  } catch (error) {
    throw new TlsFileError(file, `${file} does not hold ${holds}: ${(error as Error).message}`, { cause: error })
  }
}
