import { CommandError, UsageError } from '../../../common/command-errors.js'
import type { CommandConfig } from '../../../common/config/command-config.js'
import type { BrokerConfig } from '../broker-config-schema.js'
import type { ConvertedConf } from './convert-mosquitto-conf.js'
import type { MosquittoBrokerConfig } from './mosquitto-broker-config.js'
import { MosquittoConfError } from './mosquitto-conf-lines.js'

/** The broker's flag that reads a Mosquitto configuration instead of a YAML one. */
export const mosquittoConfFlag = { 'mosquitto-conf': { type: 'string' } } as const

/**
 * `thermopost broker --mosquitto-conf FILE`: the broker's settings read from a Mosquitto configuration, with
 * the flags laid over them as over a YAML file; a problem is blamed on the flag when a flag set the key, else
 * on the Mosquitto line behind it. Without the flag, `read` as it was.
 */
export async function withMosquittoConf(
  read: CommandConfig<BrokerConfig>
): Promise<{ read: CommandConfig<BrokerConfig>; fromConfigFile: boolean; notes: ConvertedConf['notes'] }> {
  const file = read.extra['mosquitto-conf']
  if (typeof file !== 'string') return { read, fromConfigFile: read.file !== undefined, notes: [] }
  if (read.file !== undefined) throw new UsageError('--mosquitto-conf and --config cannot be used together: convert one into the other')
  let mosquitto: MosquittoBrokerConfig
  try {
    // Loaded only when asked for, so that a broker started the usual way does not load the conversion.
    mosquitto = await (await import('./mosquitto-broker-config.js')).readMosquittoBrokerConfig(file)
  } catch (error) {
    if (error instanceof MosquittoConfError) throw new CommandError(error.message)
    throw error
  }
  const problems: CommandConfig<BrokerConfig>['problems'] = (list) =>
    list.some((problem) => typeof problem.path[0] === 'string' && problem.path[0] in read.fromFlags)
      ? read.problems(list)
      : new CommandError(mosquitto.problemsError(list).message)
  return {
    read: {
      ...read,
      config: { ...mosquitto.config, ...read.fromFlags },
      problems,
      problem: (key, message) => problems([{ path: [key], message }])
    },
    fromConfigFile: true,
    notes: mosquitto.notes
  }
}
