import { parseArgs } from 'node:util'
import { CrashScenario } from './crash-cycle.js'

/**
 * The crash scenario for long runs: `npm run crash-test -- --cycles 200 [--seed N]`.
 * Prints one line per cycle and a summary; exits 1 on any lost acknowledged message, QoS 2
 * duplicate or other problem, 2 on a bad flag.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { cycles: { type: 'string', default: '200' }, seed: { type: 'string' } },
    strict: true
  })
  const cycles = Number(values.cycles)
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31)
  if (!Number.isSafeInteger(cycles) || cycles < 1 || !Number.isSafeInteger(seed)) {
    console.error('usage: crash-test [--cycles N] [--seed N]')
    return 2
  }
  console.log(`crash test: ${cycles} cycles, seed ${seed}`)
  const scenario = await CrashScenario.create({ seed, log: (line) => console.log(line) })
  let failure: unknown
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) await scenario.runCycle(cycle)
  } catch (error) {
    failure = error
    console.error(`cycle aborted: ${(error as Error).stack ?? String(error)}\nbroker output:\n${scenario.brokerOutput()}`)
  }
  const { totals } = scenario
  const never = scenario.neverReceived()
  console.log(
    `summary: cycles ${totals.cycles}, messages published ${totals.published}, acknowledged ${totals.acknowledged}, ` +
      `lost ${totals.lost} (not delivered in their cycle), never delivered to the 5.0 subscriber by the end ${never.length}, ` +
      `duplicates ${totals.duplicates}, other problems ${totals.problems}, seed ${seed}`
  )
  const clean = failure === undefined && totals.lost === 0 && never.length === 0 && totals.duplicates === 0 && totals.problems === 0
  await scenario.close()
  return clean ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
