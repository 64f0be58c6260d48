import { parseArgs } from 'node:util'
import { BROKER_NAMES, type BrokerName } from './broker-variants.js'
import { SCENARIOS, type Scenario, scenarioNamed } from './scenarios.js'
import { STANDALONE_BENCHES, type StandaloneBench, standaloneNamed } from './standalone-benches.js'

export interface BenchOptions {
  rounds: number
  /** Measured window per scenario run, after `warmupSeconds` of traffic. */
  durationSeconds: number
  warmupSeconds: number
  scenarios: Scenario[]
  /** Run once each, after the rounds. */
  standalone: StandaloneBench[]
  /** Which broker variants may run; each scenario runs against those of its own `brokers` listed here. */
  brokers: BrokerName[]
  jsonPath: string | undefined
}

export const USAGE = `usage: node dist/test/bench/run.js [options]
  --rounds N                 interleaved rounds (default 5); ${oneOffs()}
  --duration SECONDS         measured window per run (default 5); offline-queue-memory: the settle time
                             between the last PUBACK and the RSS reading
  --warmup SECONDS           traffic before the window opens (default 1)
  --only SCENARIO[,...]      ${SCENARIOS.map((s) => s.name).join(', ')};
                             once each, after the rounds: ${STANDALONE_BENCHES.map((b) => b.name).join(', ')}
  --brokers NAME[,...]       ${BROKER_NAMES.join(', ')} (default all): runs only these of each
                             scenario's own brokers; the scenario's first is compared to the others
  --json PATH                also write runs and summary as JSON`

function oneOffs(): string {
  return SCENARIOS.filter((s) => s.maxRounds !== undefined)
    .map((s) => `${s.name} runs in the first ${s.maxRounds} only`)
    .join(', ')
}

export function parseOptions(args: string[]): BenchOptions {
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
  const only = values.only === undefined ? undefined : list(values.only).map(known)
  return {
    rounds: positive('--rounds', values.rounds, true),
    durationSeconds: positive('--duration', values.duration, false),
    warmupSeconds: positive('--warmup', values.warmup, false),
    scenarios: only === undefined ? [...SCENARIOS] : only.filter((name) => standaloneNamed(name) === undefined).map(scenarioNamed),
    standalone: only === undefined ? [...STANDALONE_BENCHES] : only.flatMap((name) => standaloneNamed(name) ?? []),
    brokers: list(values.brokers).map(brokerNamed),
    jsonPath: values.json
  }
}

function positive(flag: string, text: string, integer: boolean): number {
  const value = Number(text)
  if (!(value > 0) || (integer && !Number.isInteger(value)))
    throw new Error(`${flag} wants a positive ${integer ? 'integer' : 'number'}, got "${text}"`)
  return value
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** `name` if a broker scenario or a standalone bench has it; the error lists both kinds. */
function known(name: string): string {
  if (standaloneNamed(name) === undefined && !SCENARIOS.some((scenario) => scenario.name === name)) {
    throw new Error(`unknown scenario "${name}" (known: ${[...SCENARIOS, ...STANDALONE_BENCHES].map((s) => s.name).join(', ')})`)
  }
  return name
}

function brokerNamed(name: string): BrokerName {
  const broker = BROKER_NAMES.find((candidate) => candidate === name)
  if (!broker) throw new Error(`unknown broker "${name}" (known: ${BROKER_NAMES.join(', ')})`)
  return broker
}
