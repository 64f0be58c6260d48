import { fileURLToPath } from 'node:url'
import { exited, OutputTail, spawnPinned } from './children.js'
import type { GeneratorConfig, GeneratorResult } from './generator-protocol.js'

/** The load generator's core; brokers get the other one. */
export const GENERATOR_CORE = 0

const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url))
/** Beyond warm-up and window: connecting thousands of clients, and a broker that answers slowly. */
const SETUP_ALLOWANCE_MS = 90_000

/**
 * Runs one scenario in a fresh generator process pinned to GENERATOR_CORE and returns what it
 * printed; kills it after warm-up + window + `setupAllowanceMs`.
 */
export async function runGenerator(config: GeneratorConfig, setupAllowanceMs = SETUP_ALLOWANCE_MS): Promise<GeneratorResult> {
  const child = spawnPinned(GENERATOR_CORE, process.execPath, [LOAD_GENERATOR, JSON.stringify(config)])
  let resultLine: string | undefined
  const output = new OutputTail(child, (line) => {
    if (line.startsWith('{')) resultLine = line
  })
  const timeoutMs = config.warmupMs + config.durationMs + setupAllowanceMs
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await exited(child)
  clearTimeout(timer)
  // Let readline deliver the last lines, which can trail the 'exit' event.
  await new Promise((resolve) => setImmediate(resolve))
  if (child.exitCode !== 0 || resultLine === undefined) {
    const how = child.signalCode === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exited (${child.signalCode ?? `code ${child.exitCode}`})`
    throw new Error(`load generator ${how}:\n${output}`)
  }
  return JSON.parse(resultLine) as GeneratorResult
}
