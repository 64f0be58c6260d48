import type { ChildProcess } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { distinctFreePorts } from './free-port.js'
import { DURABLE_REDIS_ARGS, launchRedis, pollUntil, redisCli, redisTempDir, stopProcess } from './redis-server.js'

export interface RunningRedisCluster {
  /** Each node's client port. */
  ports: number[]
  /** The nodes that redis-cli made replicas. */
  replicaPorts: number[]
  /** redis-cluster://127.0.0.1:P1,127.0.0.1:P2,... */
  url: string
  /** SIGKILLs the node on that port: no chance to write anything more. */
  kill(port: number): Promise<void>
  /** Starts a killed node again on its port and files (a killed master comes back as a replica of its successor). */
  restart(port: number): Promise<void>
  /** Stops every node and removes their files. */
  stop(): Promise<void>
}

/**
 * A Redis Cluster of `masters` redis-server processes, each with `replicasPerMaster` replicas, on free loopback ports,
 * each node with its own directory (AOF with appendfsync always, no RDB) in one temporary directory; ready once every
 * node says cluster_state:ok and every replica is in sync. Stop it in `t.after`.
 */
export async function startRedisCluster(masters = 3, replicasPerMaster = 0): Promise<RunningRedisCluster> {
  const dir = redisTempDir()
  const children = new Map<number, ChildProcess>()
  const argsOf = new Map<number, string[]>()
  const stop = async (): Promise<void> => {
    await Promise.all([...children.values()].map((child) => stopProcess(child, 'SIGTERM')))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const count = masters * (1 + replicasPerMaster)
    const ports = await distinctFreePorts(count * 2)
    const clientPorts = ports.slice(0, count)
    for (const [i, port] of clientPorts.entries()) {
      const nodeDir = join(dir, String(port))
      mkdirSync(nodeDir)
      // The cluster bus port is given too: the default, port + 10000, is not known to be free.
      const args = ['--port', String(port), ...DURABLE_REDIS_ARGS, '--appendfsync', 'always', '--dir', nodeDir]
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(ports[count + i]))
      // A master silent for 1 s is failed over to its replica (the default waits 15 s).
      args.push('--cluster-node-timeout', '1000')
      argsOf.set(port, args)
      children.set(port, await launchRedis(args, port))
    }
    const nodes = clientPorts.map((port) => `127.0.0.1:${port}`)
    const [first] = clientPorts
    await redisCli(first, '--cluster', 'create', ...nodes, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes')
    for (const port of clientPorts) await pollUntil(async () => (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'))
    const replicaPorts: number[] = []
    for (const port of clientPorts) {
      if (!(await redisCli(port, 'info', 'replication')).includes('role:slave')) continue
      replicaPorts.push(port)
      await pollUntil(async () => (await redisCli(port, 'info', 'replication')).includes('master_link_status:up'))
    }
    const kill = (port: number): Promise<void> => stopProcess(children.get(port)!, 'SIGKILL')
    const restart = async (port: number): Promise<void> => {
      children.set(port, await launchRedis(argsOf.get(port)!, port))
    }
    return { ports: clientPorts, replicaPorts, url: `redis-cluster://${nodes.join(',')}`, kill, restart, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
