/** What an accepted CONNECT settled for the rest of the connection. */
export interface NegotiatedSettings {
  readonly clientId: string
  readonly username: string | undefined
  /** Most QoS 1/2 in flight towards the client: ours, lowered by the client's Receive Maximum. */
  readonly sendWindow: number
  /** Largest packet the client accepts (5.0 Maximum Packet Size). */
  readonly clientMaxPacketSize: number
  /** Outbound topic aliases the client allows (its Topic Alias Maximum). */
  readonly outboundAliasLimit: number
  /** 5.0 Request Problem Information: reason strings only when the client wants them. */
  readonly wantsProblemInformation: boolean
}
