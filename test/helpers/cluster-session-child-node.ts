import { type ChildProcess, spawn } from 'node:child_process'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

const childScript = fileURLToPath(new URL('./cluster-session-child.js', import.meta.url))

/**
 * A cluster node holding sessions in a child process of its own (cluster-session-child.ts), for tests that kill it
 * with SIGKILL; resolves with its port once it accepts clients, and is killed after the test if still running.
 */
export async function startChildClusterNode(
  t: TestContext,
  redisUrl: string,
  keyPrefix: string,
  nodeId: string
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [childScript, redisUrl, keyPrefix, nodeId], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stdout!.setEncoding('utf8')
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      const found = /listening (\d+)/.exec(chunk)
      if (found !== null) resolve(Number(found[1]))
    })
    child.once('exit', (code) => reject(new Error(`the node exited with ${code}: ${output}`)))
  })
  return { child, port }
}
