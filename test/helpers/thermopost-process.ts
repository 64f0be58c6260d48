import { type ChildProcessByStdio, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { TestContext } from 'node:test'
import { thermopostBin } from './crash-broker.js'

export interface ThermopostProcess {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** Everything it wrote so far, stdout and stderr. */
  output(): string
}

/** `thermopost ARGS` as a child process, its output collected; killed after the test if still running. */
export function spawnThermopost(t: TestContext, args: readonly string[]): ThermopostProcess {
  const child = spawn(process.execPath, [thermopostBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  const collect = (chunk: Buffer): void => {
    output += chunk.toString()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  return { child, output: () => output }
}
