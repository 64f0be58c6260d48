#!/usr/bin/env node
import { passwdUsage, runPasswdCommand } from '../broker/auth/password-file-command.js'
import { brokerUsage, runBrokerCommand } from '../broker/cli.js'
import { convertMosquittoConfUsage, runConvertMosquittoConfCommand } from '../broker/config/mosquitto/convert-mosquitto-conf-command.js'
import { CommandError, UsageError } from '../common/command-errors.js'
import { version } from '../common/version.js'
import { dashboardRouter } from '../dashboard/dashboard-router.js'
import { agentUsage, runAgentCommand } from '../devices/agent-command.js'
import { runSimulateCommand, simulateUsage } from '../devices/simulate-command.js'
import { runServiceCommand, serviceUsage } from '../service/service-command.js'
import { runStartCommand, startUsage } from './start/start-command.js'

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

const commands: Record<string, { run: (args: string[]) => Promise<void>; usage: string }> = {
  agent: { run: runAgentCommand, usage: agentUsage },
  broker: { run: runBrokerCommand, usage: brokerUsage },
  'convert-mosquitto-conf': { run: runConvertMosquittoConfCommand, usage: convertMosquittoConfUsage },
  passwd: { run: runPasswdCommand, usage: passwdUsage },
  service: { run: (args) => runServiceCommand(args, { dashboard: dashboardRouter }), usage: serviceUsage },
  simulate: { run: runSimulateCommand, usage: simulateUsage },
  start: { run: runStartCommand, usage: startUsage }
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
  const command = commands[name]
  if (command === undefined) throw new UsageError(`unknown command '${name}'`)
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
