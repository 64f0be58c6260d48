import { type ChildProcess, spawn } from 'node:child_process'
import { BROKER_NODE_FLAGS } from '../../broker/node-flags.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { freePort } from '../helpers/free-port.js'
import { exited, OutputTail } from './children.js'
import { cpuSeconds } from './proc.js'

/** A `thermopost broker --cluster` child process of a cluster bench. */
export interface BenchNode {
  child: ChildProcess
  port: number
  url: string
}

/**
 * Starts one cluster node on a free loopback port, with `$SYS` off and `extraArgs`, and resolves once it listens. It
 * runs with the broker's node flags, as `thermopost start --nodes N` runs its nodes.
 */
export async function startBenchNode(redisUrl: string, nodeId: string, extraArgs: readonly string[] = []): Promise<BenchNode> {
  const port = await freePort()
  const args = [
    ...BROKER_NODE_FLAGS,
    thermopostBin,
    'broker',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--cluster',
    redisUrl,
    '--node-id',
    nodeId,
    '--sys-interval',
    '0',
    ...extraArgs
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    const tail = new OutputTail(child, (line) => {
      if (line.includes('listening on')) resolve()
    })
    child.once('exit', () => reject(new Error(`node ${nodeId} exited: ${tail.toString()}`)))
  })
  return { child, port, url: `mqtt://127.0.0.1:${port}` }
}

/** Kills the nodes (SIGKILL: a bench's nodes keep nothing) and waits for them to be gone. */
export async function stopBenchNodes(nodes: readonly BenchNode[]): Promise<void> {
  for (const node of nodes) node.child.kill('SIGKILL')
  await Promise.all(nodes.map((node) => exited(node.child)))
}

/**
 * CPU seconds so far of the nodes (together), of Redis, and of this process, whose mqtt.js clients are the load: a
 * bench reports the clients' share of their core, since a figure per second is the clients' when they are at 80 % or
 * more, not the cluster's (figures per message stay the cluster's).
 */
export function clusterCpuSeconds(nodes: readonly BenchNode[], redisPid: number): { nodes: number; redis: number; clients: number } {
  return {
    nodes: nodes.reduce((sum, node) => sum + cpuSeconds(node.child.pid!), 0),
    redis: cpuSeconds(redisPid),
    clients: cpuSeconds('self')
  }
}
