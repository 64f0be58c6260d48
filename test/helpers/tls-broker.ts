import type { TestContext } from 'node:test'
import { type ConnectionOptions, connect, type PeerCertificate } from 'node:tls'
import { generate } from 'mqtt-packet'
import { Broker, type BrokerDependencies } from '../../broker/broker.js'
import type { TlsSettings } from '../../broker/listeners/tls.js'
import { uniqueId } from './session-clients.js'

export interface RunningTlsBroker {
  broker: Broker
  port: number
  /** mqtts://127.0.0.1:PORT */
  url: string
}

/**
 * An in-process broker with one mqtts listener on a free loopback port, closed after the test. Anonymous
 * clients are let in unless `allowAnonymous` says otherwise (as the listener's allow_anonymous).
 */
export async function startTlsBroker(
  t: TestContext,
  tls: TlsSettings,
  dependencies: BrokerDependencies = {},
  allowAnonymous = true
): Promise<RunningTlsBroker> {
  const broker = new Broker({}, dependencies)
  t.after(() => broker.close())
  const { port } = await broker.listen({ protocol: 'mqtts', host: '127.0.0.1', port: 0, tls, allowAnonymous })
  return { broker, port, url: `mqtts://127.0.0.1:${port}` }
}

/** How a TLS connection attempt ended: CONNACK received, or the error (or close) that ended it first. */
export type TlsOutcome = { accepted: true; protocol: string | null; certificate: PeerCertificate } | { accepted: false; code: string }

/**
 * Connects with `options`, sends an MQTT 3.1.1 CONNECT once the handshake is done and waits for the
 * first bytes back. With TLS 1.3 the client finishes its handshake before the server has checked the
 * client's certificate, so "refused" shows as the server's alert arriving after that: only a CONNACK
 * counts as accepted.
 */
export async function tlsOutcome(port: number, options: ConnectionOptions, username?: string): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options })
    const done = (outcome: TlsOutcome): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(outcome)
    }
    const timer = setTimeout(() => done({ accepted: false, code: 'TIMEOUT' }), 3000)
    socket.once('secureConnect', () => {
      socket.write(
        generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: uniqueId('tls'), clean: true, keepalive: 0, username })
      )
    })
    socket.once('data', (bytes: Buffer) => {
      // CONNACK: type 0x20, length 2, flags, return code
      if (bytes[0] === 0x20 && bytes[3] === 0)
        done({ accepted: true, protocol: socket.getProtocol(), certificate: socket.getPeerCertificate() })
      else done({ accepted: false, code: `CONNACK ${bytes[3]}` })
    })
    socket.once('error', (error: NodeJS.ErrnoException) => done({ accepted: false, code: error.code ?? error.message }))
    socket.once('close', () => done({ accepted: false, code: 'CLOSED' }))
  })
}
