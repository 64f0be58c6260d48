import { randomUUID } from 'node:crypto'
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import { certificateUsername } from '../listeners/certificate-identity.js'
import { protocolViolation } from '../protocol/protocol-error.js'
import { legacyConnackCode, Reason } from '../protocol/reason-codes.js'
import { topicNameProblem } from '../topics.js'
import type { PacketHandler } from './handler.js'

export const handleConnect: PacketHandler<IConnectPacket> = (connection, packet) => {
  const version = packet.protocolVersion ?? 4
  connection.protocolVersion = version
  connection.state = 'connecting'
  const options = connection.broker.options
  const properties = packet.properties ?? {}

  // 'MQIsdp' goes with level 3 and 'MQTT' with 4 and 5 [MQTT-3.1.2-1, MQTT-3.1.2-2]
  if ((packet.protocolId === 'MQIsdp') !== (version === 3)) {
    return refuse(connection, Reason.UnsupportedProtocolVersion, 'protocol name and level do not match')
  }
  if (version === 5) {
    if (properties.receiveMaximum === 0) throw protocolViolation('Receive Maximum of 0') // [MQTT-3.1.2-...] spec 3.1.2.11.3
    if (properties.maximumPacketSize === 0) throw protocolViolation('Maximum Packet Size of 0')
    if (properties.authenticationMethod !== undefined) {
      return refuse(connection, Reason.BadAuthenticationMethod, `authentication method ${properties.authenticationMethod} is not supported`)
    }
  }
  if (version < 5 && packet.password !== undefined && packet.username === undefined) {
    throw protocolViolation('password without a user name') // [MQTT-3.1.2-22]
  }
  let clientId = packet.clientId
  if (version === 3 && clientId.length > 23) {
    return refuse(connection, Reason.ClientIdentifierNotValid, 'MQTT 3.1 client ids are 1 to 23 characters')
  }
  let assignedClientId: string | undefined
  if (clientId === '') {
    // 3.1 requires an id; 3.1.1 allows none only with a clean session [MQTT-3.1.3-8]; 5.0 gets one assigned.
    if (version === 3 || (version === 4 && !packet.clean)) {
      return refuse(connection, Reason.ClientIdentifierNotValid, 'a client id is required for a persistent session')
    }
    clientId = assignedClientId = `auto-${randomUUID()}`
  }
  if (packet.will !== undefined) {
    const problem = topicNameProblem(packet.will.topic, options.maxTopicLevels, options.maxTopicLength)
    if (problem !== undefined) return refuse(connection, Reason.TopicNameInvalid, `will topic: ${problem}`)
  }

  if (connection.overConnectionRate) return refuse(connection, Reason.ConnectionRateExceeded, 'too many new connections from this address')
  if (connection.broker.stats.clientsConnected >= options.maxConnections) {
    return refuse(connection, Reason.QuotaExceeded, `the broker is at its maximum of ${options.maxConnections} connections`)
  }
  // On a use_identity_as_username listener the certificate names the user, never the CONNECT (Mosquitto does the same).
  const fromCertificate = certificateUsername(connection.socket)
  if (fromCertificate !== undefined && 'refused' in fromCertificate) {
    connection.broker.logger.info({ clientId, address: connection.remoteAddress }, `client refused: ${fromCertificate.refused}`)
    return refuse(connection, Reason.NotAuthorized, fromCertificate.refused)
  }
  const username = fromCertificate?.username ?? packet.username
  const verdict = connection.broker.auth.authenticate({
    clientId,
    username,
    password: packet.password,
    remoteAddress: connection.remoteAddress,
    certificateIdentity: fromCertificate?.username,
    anonymousAllowed: connection.anonymousAllowed
  })
  if (typeof verdict === 'number') return accept(connection, packet, clientId, assignedClientId, username, verdict)
  return verdict.then((code) => accept(connection, packet, clientId, assignedClientId, username, code))
}

function accept(
  connection: Connection,
  packet: IConnectPacket,
  clientId: string,
  assignedClientId: string | undefined,
  username: string | undefined,
  authCode: number
): void {
  if (!connection.isOpen) return
  if (authCode !== Reason.Success) {
    connection.broker.logger.info({ clientId, address: connection.remoteAddress }, 'client refused by authentication')
    return refuse(connection, authCode, 'not authorized')
  }
  const broker = connection.broker
  const options = broker.options
  const version = connection.protocolVersion
  const properties = packet.properties ?? {}
  connection.clientId = clientId
  connection.username = username
  if (version === 5) {
    if (properties.receiveMaximum !== undefined) connection.sendWindow = Math.min(options.maxInflight, properties.receiveMaximum)
    if (properties.maximumPacketSize !== undefined) connection.clientMaxPacketSize = properties.maximumPacketSize
    connection.outboundAliasLimit = properties.topicAliasMaximum ?? 0
    connection.wantsProblemInformation = properties.requestProblemInformation !== false
  }

  let keepalive = packet.keepalive ?? 0
  const keepaliveCapped = options.maxKeepalive > 0 && (keepalive === 0 || keepalive > options.maxKeepalive)
  if (keepaliveCapped) keepalive = options.maxKeepalive

  const requestedExpiry = version === 5 ? (properties.sessionExpiryInterval ?? 0) : packet.clean ? 0 : options.legacySessionExpiry
  const expiry = Math.min(requestedExpiry, options.maxSessionExpiry)
  const cleanStart = packet.clean !== false

  const sessionPresent = broker.openSession(connection, cleanStart, expiry, packet.will)

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent }
  if (version === 5) {
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
    if (assignedClientId !== undefined) connack.properties.assignedClientIdentifier = assignedClientId
    if (keepaliveCapped) connack.properties.serverKeepAlive = keepalive
    if (expiry !== requestedExpiry) connack.properties.sessionExpiryInterval = expiry
  } else {
    connack.returnCode = 0
  }
  connection.send(connack)
  connection.state = 'connected'
  connection.startKeepalive(keepalive)
  broker.stats.clientsConnected++
  connection.session!.resume()
}

/** Answers CONNECT with a refusal [MQTT-3.2.2-6] and closes. */
function refuse(connection: Connection, reasonCode: number, reason: string): void {
  const connack: IConnackPacket =
    connection.protocolVersion === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } }
      : { cmd: 'connack', sessionPresent: false, returnCode: legacyConnackCode(reasonCode) }
  connection.send(connack)
  connection.close()
}
