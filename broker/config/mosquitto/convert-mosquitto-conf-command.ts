import { CommandError, UsageError } from '../../../common/command-errors.js'
import { MosquittoConfError } from './mosquitto-conf-lines.js'

export const convertMosquittoConfUsage = `Usage: thermopost convert-mosquitto-conf FILE

Reads a Mosquitto 2.x configuration (mosquitto.conf, with its include_dir) and prints the thermopost broker
configuration that does the same, as YAML for 'thermopost broker --config'. Each key names the Mosquitto line it
came from; what works differently is listed at the top. A directive thermopost cannot honour (a lazy bridge, a plugin,
a TLS setting it does not have) stops the conversion with its file, line and why, and exit status 1.
'thermopost broker --mosquitto-conf FILE' runs the broker from such a file directly.`

/** `thermopost convert-mosquitto-conf FILE`: the YAML on stdout, or every line that cannot be honoured on stderr. */
export async function runConvertMosquittoConfCommand(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(convertMosquittoConfUsage)
    return
  }
  if (args.length !== 1 || args[0]!.startsWith('-'))
    throw new UsageError('convert-mosquitto-conf takes one file: the mosquitto.conf to convert')
  const file = args[0]!
  // Loaded here, not with the command list: every other thermopost command starts without the conversion.
  const [{ readMosquittoBrokerConfig }, { mosquittoYaml }] = await Promise.all([
    import('./mosquitto-broker-config.js'),
    import('./mosquitto-yaml.js')
  ])
  try {
    const { config, notes, converted } = await readMosquittoBrokerConfig(file)
    process.stdout.write(mosquittoYaml(file, config, { origins: converted.origins, notes }))
  } catch (error) {
    if (error instanceof MosquittoConfError) throw new CommandError(error.message)
    throw error
  }
}
