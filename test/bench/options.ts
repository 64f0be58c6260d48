import { parseArgs } from 'node:util'
import { BROKER_NAMES, type BrokerName } from './brokers.js'
import { SCENARIOS, scenarioNamed, type Scenario } from './scenarios.js'

export interface BenchOptions {
  rounds: number
  /** Measured window per scenario run, after `warmupSeconds` of traffic. */
  durationSeconds: number
  warmupSeconds: number
  scenarios: Scenario[]
  /** Which broker variants may run; each scenario runs against those of its own `brokers` listed here. */
  brokers: BrokerName[]
  jsonPath: string | undefined
}

export const USAGE = `usage: node dist/test/bench/run.js [options]
  --rounds N                 interleaved rounds (default 5); ${oneOffs()}
  --duration SECONDS         measured window per run (default 5); offline-queue-memory: the settle time
                             between the last PUBACK and the RSS reading
  --warmup SECONDS           traffic before the window opens (default 1)
  --only SCENARIO[,...]      ${SCENARIOS.map((s) => s.name).join(', ')}
  --brokers NAME[,...]       ${BROKER_NAMES.join(', ')} (default all): runs only these of each
                             scenario's own brokers; the scenario's first is compared to the others
  --json PATH                also write runs and summary as JSON`

function oneOffs (): string {
  return SCENARIOS.filter((s) => s.maxRounds !== undefined).map((s) => `${s.name} runs in the first ${s.maxRounds} only`).join(', ')
}

export function parseOptions (args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      only: { type: 'string' },
      brokers: { type: 'string', default: BROKER_NAMES.join(',') },
      json: { type: 'string' }
    }
  })
  return {
    rounds: positive('--rounds', values.rounds, true),
    durationSeconds: positive('--duration', values.duration, false),
    warmupSeconds: positive('--warmup', values.warmup, false),
    scenarios: values.only === undefined ? [...SCENARIOS] : list(values.only).map(scenarioNamed),
    brokers: list(values.brokers).map(brokerNamed),
    jsonPath: values.json
  }
}

function positive (flag: string, text: string, integer: boolean): number {
  const value = Number(text)
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new Error(`${flag} wants a positive ${integer ? 'integer' : 'number'}, got "${text}"`)
  return value
}

function list (text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '')
}

function brokerNamed (name: string): BrokerName {
  const broker = BROKER_NAMES.find((candidate) => candidate === name)
  if (!broker) throw new Error(`unknown broker "${name}" (known: ${BROKER_NAMES.join(', ')})`)
  return broker
}
