import { type ConfigProblem, pathText, problemsOf } from '../../../common/config/config-problem.js'
import { type BrokerConfig, brokerConfigSchema } from '../broker-config-schema.js'
import { type ConvertedConf, convertMosquittoConf } from './convert-mosquitto-conf.js'
import { MosquittoConfError, type Origin, readMosquittoConf } from './mosquitto-conf-lines.js'

export interface MosquittoBrokerConfig {
  file: string
  config: BrokerConfig
  notes: ConvertedConf['notes']
  converted: ConvertedConf
  /** Problems found later (listeners, cluster), blamed on the Mosquitto lines behind their keys. */
  problemsError(problems: ConfigProblem[]): MosquittoConfError
}

/**
 * A Mosquitto 2.x configuration file read as our broker config, checked by the same schema as a YAML file;
 * rejects with a MosquittoConfError naming each line thermopost cannot honour.
 */
export async function readMosquittoBrokerConfig(file: string): Promise<MosquittoBrokerConfig> {
  const converted = convertMosquittoConf(await readMosquittoConf(file))
  const problemsError = (problems: ConfigProblem[]): MosquittoConfError =>
    new MosquittoConfError(
      problems.map(({ path, message }) => ({ origin: originOf(converted.origins, path), text: `${pathText(path)}: ${message}` }))
    )
  const result = brokerConfigSchema.safeParse(converted.config)
  if (!result.success) throw problemsError(problemsOf(result.error, converted.config, brokerConfigSchema))
  return { file, config: result.data, notes: converted.notes, converted, problemsError }
}

/** The line behind `path`, or behind the nearest key above it that has one. */
function originOf(origins: Map<string, Origin>, path: ReadonlyArray<string | number>): Origin | undefined {
  for (let length = path.length; length > 0; length--) {
    const origin = origins.get(pathText(path.slice(0, length)))
    if (origin !== undefined) return origin
  }
  return undefined
}
