/** MQTT 3.1.1 everywhere: the bench compares brokers on the protocol all three speak the same way. */
export const PROTOCOL_VERSION = 4
