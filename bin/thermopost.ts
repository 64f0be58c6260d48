#!/usr/bin/env node
import { CommandError, UsageError } from '../common/command-errors.js'
import { version } from '../common/version.js'

/** The one command-line entry: picks the command from argv and hands over to its part; errors become exit codes 1 and 2. */

const usage = `Usage: thermopost <command> [options]

Commands:
  agent     publish this machine's temperature sensors (thermal zones, hwmon, DS18B20) as devices
  broker    run the MQTT broker (thermopost broker --help for its options)
  convert-mosquitto-conf
            print a Mosquitto 2.x mosquitto.conf as the broker's YAML configuration
  passwd    manage a password file: thermopost passwd FILE add|delete|list [USER]
  service   store the readings' history, track devices, send setpoints, serve the API and the dashboard
  simulate  run a fleet of simulated thermostats against a broker
  start     run everything on embedded defaults: broker, service, dashboard, a few simulated thermostats
  help      show this help (also -h, --help); --version (-v) prints the version

Run 'thermopost <command> --help' for a command's options.`

interface Command {
  run(args: string[]): Promise<void>
  readonly usage: string
}

/**
 * Each command's module is loaded only when it runs: a broker process would otherwise carry the code of the
 * service, the dashboard and the device simulator, and their dependencies (several megabytes it never uses).
 */
const commands: Record<string, () => Promise<Command>> = {
  agent: () => import('../devices/agent-command.js').then((m) => ({ run: m.runAgentCommand, usage: m.agentUsage })),
  broker: () => import('../broker/cli.js').then((m) => ({ run: m.runBrokerCommand, usage: m.brokerUsage })),
  'convert-mosquitto-conf': () =>
    import('../broker/config/mosquitto/convert-mosquitto-conf-command.js').then((m) => ({
      run: m.runConvertMosquittoConfCommand,
      usage: m.convertMosquittoConfUsage
    })),
  passwd: () => import('../broker/auth/password-file-command.js').then((m) => ({ run: m.runPasswdCommand, usage: m.passwdUsage })),
  service: async () => {
    const [{ runServiceCommand, serviceUsage }, { dashboardRouter }] = await Promise.all([
      import('../service/service-command.js'),
      import('../dashboard/dashboard-router.js')
    ])
    return { run: (args) => runServiceCommand(args, { dashboard: dashboardRouter }), usage: serviceUsage }
  },
  simulate: () => import('../devices/simulate-command.js').then((m) => ({ run: m.runSimulateCommand, usage: m.simulateUsage })),
  start: () => import('./start/start-command.js').then((m) => ({ run: m.runStartCommand, usage: m.startUsage }))
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage)
    return
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(`thermopost ${version}`)
    return
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (load === undefined) throw new UsageError(`unknown command '${name}'`)
  const command = await load()
  try {
    await command.run(args)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (error instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`${(error as Error).message}\n\n${command.usage}`)
    }
    throw error
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`thermopost: ${error.message}`)
    if (!error.message.includes('Usage:')) console.error(`\n${usage}`)
    process.exit(2)
  }
  if (error instanceof CommandError) {
    console.error(`thermopost: ${error.message}`)
    process.exit(1)
  }
  console.error(`thermopost: ${(error as Error).stack ?? String(error)}`)
  process.exit(1)
})
