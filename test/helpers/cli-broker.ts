import { type ChildProcess, spawn } from 'node:child_process'
import type { TestContext } from 'node:test'
import { tempDir, thermopostBin } from './crash-broker.js'

export interface CliBroker {
  child: ChildProcess
  /** Everything it wrote so far, stdout and stderr. */
  output: () => string
  /** The URL of each listener, in the order of their `listening on` lines. */
  urls: string[]
}

/**
 * `thermopost broker ARGS` as a child process, once `listeners` listening lines are out; killed after the
 * test. Fails if it exits first or takes more than 15 s (start-up on a loaded machine). It runs in a fresh directory
 * of its own, so a broker on the default `./data` never shares its store with another test's.
 */
export async function startCliBroker(t: TestContext, args: string[], listeners: number): Promise<CliBroker> {
  const cwd = tempDir(t, 'thermopost-cli-broker-')
  const child = spawn(process.execPath, [thermopostBin, 'broker', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ${listeners} listening lines within 15 s: ${output}`)), 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const found = [...output.matchAll(/listening on ((?:mqtts?|wss?):\/\/[^\s"]+)/g)].map((match) => match[1]!)
      if (found.length >= listeners) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening: ${output}`))
    })
  })
  return { child, output: () => output, urls }
}
