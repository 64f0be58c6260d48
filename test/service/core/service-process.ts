import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { TestContext } from 'node:test'
import { thermopostBin } from '../../helpers/crash-broker.js'

/** `thermopost service` as a child process, for the tests of the command and of several instances. */

export const SERVICE_TOKEN = 'e2e-token-0123456789abcdef'

export interface ServiceProcess {
  /** http://HOST:PORT from its `listening on` line. */
  url: string
  pid: number
  /** Everything it wrote so far, stdout and stderr. */
  output(): string
  /** Resolves once its output matches `pattern` (a log line may come after an API answer: they use different pipes). */
  logged(pattern: RegExp): Promise<void>
  /** A request to its API with the token; fails the test unless the answer is 2xx. */
  api<T>(path: string, init?: RequestInit): Promise<T>
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>
  /** SIGKILL: gone at once, its sockets closed by the kernel, nothing cleaned up. */
  kill(): Promise<void>
}

/** `thermopost service --http-port 0 ARGS`, once it logs its URL; killed after the test if still running. */
export async function startServiceProcess(t: TestContext, args: string[]): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [thermopostBin, 'service', '--http-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, THERMOPOST_API_TOKEN: SERVICE_TOKEN }
  })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 15 s: ${output}`)), 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening: ${output}`))
    })
  })
  return {
    url,
    pid: child.pid!,
    output: () => output,
    async logged(pattern: RegExp): Promise<void> {
      await eventually(
        async () => (pattern.test(output) ? true : undefined),
        () => `${pattern} in the output\n${output}`
      )
    },
    async api<T>(path: string, init: RequestInit = {}): Promise<T> {
      const response = await fetch(url + path, {
        ...init,
        headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' }
      })
      assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`)
      return (await response.json()) as T
    },
    async stop() {
      child.kill('SIGTERM')
      return await exited
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    }
  }
}

/** Polls `probe` every 50 ms until it returns something; fails after `timeoutMs` (15 s) with `what`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: () => string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs / 1000} s: ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
