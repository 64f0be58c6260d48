import { parseArgs } from 'node:util'
import { Broker } from './broker.js'
import { createLogger } from './log.js'
import { type BrokerOptions, defaultBrokerOptions } from './options.js'

type OptionKey = keyof BrokerOptions

/** Every broker option is also a flag: its name in kebab-case (maxInflight ↔ --max-inflight). */
function flagName (key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

const optionFlags = new Map<string, OptionKey>(
  (Object.keys(defaultBrokerOptions) as OptionKey[]).map((key) => [flagName(key), key])
)

export const brokerUsage = `Usage: thermopost broker [--host HOST] [--port PORT] [--<option> VALUE ...]

Runs the MQTT broker in the foreground until SIGINT or SIGTERM.
  --host HOST   address to listen on (default 127.0.0.1)
  --port PORT   TCP port (default 1883; 0 picks a free port, and the log line says which)

Limits (sizes in bytes, durations in seconds), with their defaults:
${[...optionFlags].map(([flag, key]) => `  --${flag} ${String(defaultBrokerOptions[key])}`).join('\n')}`

/** `thermopost broker`: parses its flags, runs the broker, closes it cleanly on SIGINT / SIGTERM. */
export async function runBrokerCommand (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1883' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries([...optionFlags.keys()].map((flag) => [flag, { type: 'string' as const }]))
    },
    strict: true
  })
  if (values.help === true) {
    console.log(brokerUsage)
    return
  }
  const port = parsePort(values.port!)
  const logger = createLogger('broker')
  let broker: Broker
  try {
    broker = new Broker(brokerOptionsFrom(values), { logger })
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message)
    throw error
  }
  const address = await broker.listen({ host: values.host!, port })
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  logger.info({ port: address.port }, `listening on mqtt://${host}:${address.port}`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info(`${signal}: closing`)
    broker.close().then(() => {
      logger.info('closed')
      process.exit(0)
    }, (error: unknown) => {
      logger.error({ err: error }, 'close failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function brokerOptionsFrom (values: Record<string, string | boolean | undefined>): Partial<BrokerOptions> {
  const options: Partial<Record<OptionKey, number | boolean>> = {}
  for (const [flag, key] of optionFlags) {
    const text = values[flag]
    if (typeof text !== 'string') continue
    if (typeof defaultBrokerOptions[key] === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new UsageError(`--${flag} must be true or false, not '${text}'`)
      options[key] = text === 'true'
    } else {
      const value = Number(text)
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`--${flag} must be a whole number, not '${text}'`)
      options[key] = value
    }
  }
  return options as Partial<BrokerOptions>
}

function parsePort (text: string): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${text}'`)
  return port
}

/** A mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}
