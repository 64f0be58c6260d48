import { parseArgs } from 'node:util'
import { runFuzz, summary } from './fuzz-run.js'

/**
 * The fuzz scenario for long runs: `npm run fuzz -- [--seconds S | --packets N] [--connections C] [--seed N]`
 * [--max-rss-growth-mb 200] [--max-heap-growth-mb 64]` (default: 300 seconds, 50 connections, a random
 * seed, also from FUZZ_SEED). Prints progress every 5 seconds, a summary
 * and every problem; exits 1 when there was one, 2 on a bad flag.
 */
const USAGE = 'usage: fuzz [--seconds S | --packets N] [--connections C] [--seed N] [--max-rss-growth-mb M] [--max-heap-growth-mb M]'

const OPTIONS = {
  seconds: { type: 'string' },
  packets: { type: 'string' },
  connections: { type: 'string', default: '50' },
  seed: { type: 'string', default: process.env.FUZZ_SEED },
  'max-rss-growth-mb': { type: 'string', default: '200' },
  'max-heap-growth-mb': { type: 'string', default: '64' }
} as const

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>
  try {
    parsed = parseArgs({ options: OPTIONS, strict: true })
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const { values } = parsed
  const packets = values.packets !== undefined ? Number(values.packets) : undefined
  const seconds = values.seconds !== undefined ? Number(values.seconds) : packets === undefined ? 300 : undefined
  const connections = Number(values.connections)
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31)
  const growth = Number(values['max-rss-growth-mb'])
  const heapGrowth = Number(values['max-heap-growth-mb'])
  const positive = (n: number | undefined): boolean => n === undefined || (Number.isFinite(n) && n > 0)
  if (
    !positive(packets) ||
    !positive(seconds) ||
    !Number.isSafeInteger(connections) ||
    connections < 1 ||
    !Number.isSafeInteger(seed) ||
    seed < 0 ||
    !positive(growth) ||
    !positive(heapGrowth)
  ) {
    console.error(USAGE)
    return 2
  }
  const report = await runFuzz({
    seed,
    connections,
    maxRssGrowthBytes: growth * 1024 * 1024,
    maxHeapGrowthBytes: heapGrowth * 1024 * 1024,
    log: (line) => console.log(line),
    ...(packets !== undefined ? { packets } : {}),
    ...(seconds !== undefined ? { seconds } : {})
  })
  for (const problem of report.problems) console.error(`PROBLEM: ${problem}`)
  console.log(`summary: ${summary(report)}`)
  return report.problems.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
