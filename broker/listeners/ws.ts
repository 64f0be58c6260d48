import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { rememberCertificateIdentity } from './certificate-identity.js'
import type { ListenAddress } from './listen-on.js'
import { listenOn } from './listen-on.js'
import { loadWs } from './load-ws.js'
import { readTlsContext, type TlsSettings, tlsSettingsProblem } from './tls.js'
import { WebSocketSocket } from './websocket-socket.js'

export interface WsOptions {
  /** The HTTP path clients upgrade on (`/mqtt`); any other path gets 400. */
  path: string
  /** Given: wss (TLS 1.2+, same settings and reload as mqtts). */
  tls?: TlsSettings
  /** Larger WebSocket messages close the connection (1009); the MQTT parser still checks each packet's size. */
  maxPayload: number
}

export interface WsListener {
  server: HttpServer | HttpsServer
  address: AddressInfo
  /** Re-reads the TLS files of a wss listener (SIGHUP); nothing for plain ws. */
  reload(): Promise<void>
}

/** The WebSocket subprotocols of MQTT: `mqtt` (3.1.1 and 5.0) and `mqttv3.1`. */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1']

/** Handshakes (TLS and HTTP upgrade) that stall longer are dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000

/**
 * MQTT over WebSocket (ws, or wss with `tls`): an HTTP(S) server that upgrades requests on `path` and
 * hands every WebSocket, as a ClientSocket, to `accept`. Plain HTTP requests get 426. Knows nothing of MQTT.
 */
export async function listenWs(address: ListenAddress, options: WsOptions, accept: (socket: WebSocketSocket) => void): Promise<WsListener> {
  const settings = options.tls === undefined ? undefined : Object.freeze({ ...options.tls })
  if (settings !== undefined) {
    const problem = tlsSettingsProblem(settings)
    if (problem !== undefined) throw new Error(problem)
  }
  const wantsCertificate = settings?.requireCertificate === true || settings?.useIdentityAsUsername === true
  const answerPlainHttp = (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Type': 'text/plain' })
    response.end(`MQTT over WebSocket: upgrade on ${options.path}\n`)
  }
  const server =
    settings === undefined
      ? createHttpServer(answerPlainHttp)
      : createHttpsServer(
          {
            ...(await readTlsContext(settings)),
            requestCert: wantsCertificate,
            rejectUnauthorized: wantsCertificate,
            handshakeTimeout: HANDSHAKE_TIMEOUT_MS
          },
          answerPlainHttp
        )
  server.headersTimeout = HANDSHAKE_TIMEOUT_MS
  server.requestTimeout = HANDSHAKE_TIMEOUT_MS
  server.on('tlsClientError', () => {})
  server.on('clientError', (_error, socket) => {
    socket.destroy()
  })
  const { WebSocketServer } = loadWs()
  const wss = new WebSocketServer({
    server,
    path: options.path,
    perMessageDeflate: false,
    maxPayload: options.maxPayload,
    clientTracking: false,
    handleProtocols: (protocols) => SUBPROTOCOLS.find((protocol) => protocols.has(protocol)) ?? false
  })
  wss.on('error', () => {}) // the http server's own errors are reported by listen below
  wss.on('connection', (ws, request) => {
    ws.on('error', () => {}) // the stream reports it; ws must not throw an unhandled one
    const socket = new WebSocketSocket(ws, request.socket.remoteAddress)
    if (settings?.useIdentityAsUsername === true) rememberCertificateIdentity(request.socket as TLSSocket, socket)
    accept(socket)
  })
  await listenOn(server, address)
  return {
    server,
    address: server.address() as AddressInfo,
    reload: async () => {
      if (settings !== undefined) (server as HttpsServer).setSecureContext(await readTlsContext(settings))
    }
  }
}
