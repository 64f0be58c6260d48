import type { BrokerOptions } from '../../../broker/options.js'

/** Limits low enough for the fuzzer to reach them. */
export const FUZZ_BROKER_OPTIONS: Partial<BrokerOptions> = {
  maxPacketSize: 64 * 1024,
  connectTimeout: 2,
  drainTimeout: 5,
  maxQueuedMessages: 200,
  maxQueuedBytes: 256 * 1024,
  legacySessionExpiry: 20,
  maxSessionExpiry: 20,
  topicAliasMaximum: 4,
  maxTopicLevels: 32,
  sysInterval: 1
}
