/** MQTT 5.0 reason codes (spec 2.4), and the 3.1.1 CONNACK return codes they map onto. */
export const Reason = {
  Success: 0x00,
  GrantedQos1: 0x01,
  GrantedQos2: 0x02,
  DisconnectWithWill: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUsernameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QosNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  SharedSubscriptionsNotSupported: 0x9e,
  SubscriptionIdentifiersNotSupported: 0xa1,
  ConnectionRateExceeded: 0x9f,
  WildcardSubscriptionsNotSupported: 0xa2
} as const

/** 3.1.1 CONNACK return codes (spec 3.2.2.3). */
export const LegacyConnackCode = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUsernameOrPassword: 4,
  NotAuthorized: 5
} as const

/** The 3.1.1 return code that says the same as a 5.0 CONNACK reason code. */
export function legacyConnackCode(reason: number): number {
  switch (reason) {
    case Reason.Success:
      return LegacyConnackCode.Accepted
    case Reason.UnsupportedProtocolVersion:
      return LegacyConnackCode.UnacceptableProtocolVersion
    case Reason.ClientIdentifierNotValid:
      return LegacyConnackCode.IdentifierRejected
    case Reason.BadUsernameOrPassword:
      return LegacyConnackCode.BadUsernameOrPassword
    case Reason.NotAuthorized:
    case Reason.Banned:
    case Reason.BadAuthenticationMethod:
      return LegacyConnackCode.NotAuthorized
    default:
      return LegacyConnackCode.ServerUnavailable
  }
}
