import { parseArgs } from 'node:util'
import { Broker } from './broker.js'
import { createLogger } from './log.js'

export const brokerUsage = `Usage: thermopost broker [--host HOST] [--port PORT]

Runs the MQTT broker in the foreground until SIGINT or SIGTERM.
  --host HOST   address to listen on (default 127.0.0.1)
  --port PORT   TCP port (default 1883; 0 picks a free port, and the log line says which)`

/** `thermopost broker`: parses its flags, runs the broker, closes it cleanly on SIGINT / SIGTERM. */
export async function runBrokerCommand (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1883' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help === true) {
    console.log(brokerUsage)
    return
  }
  const port = parsePort(values.port!)
  const logger = createLogger('broker')
  const broker = new Broker({}, { logger })
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

function parsePort (text: string): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${text}'`)
  return port
}

/** A mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}
