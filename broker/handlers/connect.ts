import { randomUUID } from 'node:crypto'
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import { BRIDGE_SESSION_PREFIX } from '../bridge/bridge-session-prefix.js'
import type { Connection } from '../connection.js'
import { certificateUsername } from '../listeners/certificate-identity.js'
import { connectFieldsProblem } from '../protocol/connect-fields.js'
import { malformed, protocolViolation } from '../protocol/protocol-error.js'
import { legacyConnackCode, Reason } from '../protocol/reason-codes.js'
import type { OpenResult } from '../session/session-registry.js'
import type { BrokerStats } from '../stats.js'
import { topicNameProblem } from '../topics.js'
import type { HandlerContext, PacketHandler } from './handler.js'

type Uses = 'options' | 'stats' | 'logger' | 'auth' | 'sessions'
type Context = Pick<HandlerContext, Uses>

export const handleConnect: PacketHandler<IConnectPacket, Uses> = (connection, packet, context, wire) => {
  context.stats.connectsReceived++
  const version = packet.protocolVersion ?? 4
  connection.connectReceived(version, (version === 5 ? packet.properties?.maximumPacketSize : undefined) ?? Number.POSITIVE_INFINITY)
  const fieldsProblem = connectFieldsProblem(packet, wire)
  if (fieldsProblem !== undefined) throw malformed(fieldsProblem)
  const options = context.options
  const properties = packet.properties ?? {}

  // 'MQIsdp' goes with level 3 and 'MQTT' with 4 and 5 [MQTT-3.1.2-1, MQTT-3.1.2-2]
  if ((packet.protocolId === 'MQIsdp') !== (version === 3)) {
    return refuse(connection, context.stats, Reason.UnsupportedProtocolVersion, 'protocol name and level do not match')
  }
  if (version === 5) {
    if (properties.receiveMaximum === 0) throw protocolViolation('Receive Maximum of 0') // spec 3.1.2.11.3
    if (properties.maximumPacketSize === 0) throw protocolViolation('Maximum Packet Size of 0')
    if (properties.authenticationMethod !== undefined) {
      return refuse(
        connection,
        context.stats,
        Reason.BadAuthenticationMethod,
        `authentication method ${properties.authenticationMethod} is not supported`
      )
    }
  }
  if (version < 5 && packet.password !== undefined && packet.username === undefined) {
    throw protocolViolation('password without a user name') // [MQTT-3.1.2-22]
  }
  let clientId = packet.clientId
  if (version === 3 && clientId.length > 23) {
    return refuse(connection, context.stats, Reason.ClientIdentifierNotValid, 'MQTT 3.1 client ids are 1 to 23 characters')
  }
  let assignedClientId: string | undefined
  if (clientId === '') {
    // 3.1 requires an id; 3.1.1 allows none only with a clean session [MQTT-3.1.3-8]; 5.0 gets one assigned.
    if (version === 3 || (version === 4 && !packet.clean)) {
      return refuse(connection, context.stats, Reason.ClientIdentifierNotValid, 'a client id is required for a persistent session')
    }
    clientId = assignedClientId = `auto-${randomUUID()}`
  }
  if (clientId.startsWith(BRIDGE_SESSION_PREFIX)) {
    return refuse(
      connection,
      context.stats,
      Reason.ClientIdentifierNotValid,
      `client ids starting with ${BRIDGE_SESSION_PREFIX} belong to the broker's bridges`
    )
  }
  if (packet.will !== undefined) {
    const problem = topicNameProblem(packet.will.topic, options.maxTopicLevels, options.maxTopicLength)
    if (problem !== undefined) return refuse(connection, context.stats, Reason.TopicNameInvalid, `will topic: ${problem}`)
  }

  if (connection.overConnectionRate)
    return refuse(connection, context.stats, Reason.ConnectionRateExceeded, 'too many new connections from this address')
  if (context.stats.clientsConnected >= options.maxConnections) {
    return refuse(connection, context.stats, Reason.QuotaExceeded, `the broker is at its maximum of ${options.maxConnections} connections`)
  }
  // On a use_identity_as_username listener the certificate names the user, never the CONNECT (Mosquitto does the same).
  const fromCertificate = certificateUsername(connection.socket)
  if (fromCertificate !== undefined && 'refused' in fromCertificate) {
    context.logger.info({ clientId, address: connection.remoteAddress }, `client refused: ${fromCertificate.refused}`)
    context.stats.authenticationFailures++
    return refuse(connection, context.stats, Reason.NotAuthorized, fromCertificate.refused)
  }
  const username = fromCertificate?.username ?? packet.username
  const verdict = context.auth.authenticate({
    clientId,
    username,
    password: packet.password,
    remoteAddress: connection.remoteAddress,
    certificateIdentity: fromCertificate?.username,
    anonymousAllowed: connection.anonymousAllowed
  })
  const accepted: Accepted = { packet, clientId, assignedClientId, username }
  if (typeof verdict === 'number') return accept(connection, context, accepted, verdict)
  return verdict.then((code) => accept(connection, context, accepted, code))
}

/** A CONNECT that passed every check but authentication. */
interface Accepted {
  packet: IConnectPacket
  clientId: string
  /** The client id we made up for a 5.0 client that sent none. */
  assignedClientId: string | undefined
  username: string | undefined
}

/** What the CONNECT settles once authentication has said yes, and the session it opens. */
function accept(connection: Connection, context: Context, accepted: Accepted, authCode: number): void | Promise<void> {
  if (!connection.isOpen) return
  const { packet, clientId, username } = accepted
  if (authCode !== Reason.Success) {
    context.logger.info({ clientId, address: connection.remoteAddress }, 'client refused by authentication')
    context.stats.authenticationFailures++
    return refuse(connection, context.stats, authCode, 'not authorized')
  }
  const options = context.options
  const properties = (connection.protocolVersion === 5 ? packet.properties : undefined) ?? {}
  connection.applyConnect({
    clientId,
    username,
    sendWindow: Math.min(options.maxInflight, properties.receiveMaximum ?? Infinity),
    clientMaxPacketSize: properties.maximumPacketSize ?? Infinity,
    outboundAliasLimit: properties.topicAliasMaximum ?? 0,
    wantsProblemInformation: properties.requestProblemInformation !== false
  })
  const requestedExpiry =
    connection.protocolVersion === 5 ? (properties.sessionExpiryInterval ?? 0) : packet.clean ? 0 : options.legacySessionExpiry
  const expiry = Math.min(requestedExpiry, options.maxSessionExpiry)
  const opened = context.sessions.open(connection, { clientId, username, cleanStart: packet.clean !== false, expiry, will: packet.will })
  const grant: Grant = { accepted, requestedExpiry, expiry }
  if (!(opened instanceof Promise)) return connected(connection, context, grant, opened)
  return opened.then((result) => {
    if (connection.isOpen) connected(connection, context, grant, result)
  })
}

/** The session expiry granted, and what the client asked for. */
interface Grant {
  accepted: Accepted
  requestedExpiry: number
  expiry: number
}

/** CONNACK with what was granted, then the session resumes on this connection. */
function connected(connection: Connection, context: Context, grant: Grant, opened: OpenResult): void {
  if ('refused' in opened && opened.refused === 'unavailable') {
    context.logger.warn(
      { clientId: grant.accepted.clientId, address: connection.remoteAddress },
      'client refused: its session is unreachable'
    )
    refuse(connection, context.stats, Reason.ServerUnavailable, 'the session cannot be reached now')
    return
  }
  if ('refused' in opened) {
    const { clientId, username } = grant.accepted
    const owner = opened.owner === 'unknown' ? 'unknown' : (opened.owner.username ?? 'anonymous')
    context.logger.warn(
      { clientId, username, owner, address: connection.remoteAddress },
      'client refused: the session of this client id belongs to another user'
    )
    context.stats.authenticationFailures++
    refuse(connection, context.stats, Reason.NotAuthorized, 'not authorized')
    return
  }
  const options = context.options
  let keepalive = grant.accepted.packet.keepalive ?? 0
  const keepaliveCapped = options.maxKeepalive > 0 && (keepalive === 0 || keepalive > options.maxKeepalive)
  if (keepaliveCapped) keepalive = options.maxKeepalive

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: opened.present }
  if (connection.protocolVersion === 5) {
    connack.reasonCode = Reason.Success
    connack.properties = {
      receiveMaximum: options.receiveMaximum,
      maximumPacketSize: options.maxPacketSize,
      topicAliasMaximum: options.topicAliasMaximum,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true
    }
    if (grant.accepted.assignedClientId !== undefined) connack.properties.assignedClientIdentifier = grant.accepted.assignedClientId
    if (keepaliveCapped) connack.properties.serverKeepAlive = keepalive
    if (grant.expiry !== grant.requestedExpiry) connack.properties.sessionExpiryInterval = grant.expiry
  } else {
    connack.returnCode = 0
  }
  connection.send(connack)
  connection.markConnected(opened.session, keepalive)
  const stats = context.stats
  if (++stats.clientsConnected > stats.clientsMaximum) stats.clientsMaximum = stats.clientsConnected
  stats.connacks[Reason.Success]++
  opened.session.resume()
}

/** Answers CONNECT with a refusal [MQTT-3.2.2-6] and closes. */
function refuse(connection: Connection, stats: BrokerStats, reasonCode: number, reason: string): void {
  stats.connacks[reasonCode]++
  const connack: IConnackPacket =
    connection.protocolVersion === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } }
      : { cmd: 'connack', sessionPresent: false, returnCode: legacyConnackCode(reasonCode) }
  connection.send(connack)
  connection.close()
}
