import type { ChildProcess } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { distinctFreePorts } from './free-port.js'
import { DURABLE_REDIS_ARGS, launchRedis, pollUntil, redisCli, redisTempDir, stopProcess } from './redis-server.js'

export interface RunningRedisCluster {
  /** Each master's client port. */
  ports: number[]
  /** redis-cluster://127.0.0.1:P1,127.0.0.1:P2,... */
  url: string
  /** Stops every node and removes their files. */
  stop(): Promise<void>
}

/**
 * A Redis Cluster of `masters` redis-server processes without replicas on free loopback ports, each with its own
 * directory (AOF with appendfsync always, no RDB) in one temporary directory; ready once every node says
 * cluster_state:ok. Stop it in `t.after`.
 */
export async function startRedisCluster(masters = 3): Promise<RunningRedisCluster> {
  const dir = redisTempDir()
  const children: ChildProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopProcess(child, 'SIGTERM')))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const ports = await distinctFreePorts(masters * 2)
    const clientPorts = ports.slice(0, masters)
    for (const [i, port] of clientPorts.entries()) {
      const nodeDir = join(dir, String(port))
      mkdirSync(nodeDir)
      // The cluster bus port is given too: the default, port + 10000, is not known to be free.
      const args = ['--port', String(port), ...DURABLE_REDIS_ARGS, '--appendfsync', 'always', '--dir', nodeDir]
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(ports[masters + i]))
      children.push(await launchRedis(args, port))
    }
    const nodes = clientPorts.map((port) => `127.0.0.1:${port}`)
    const [first] = clientPorts
    await redisCli(first, '--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes')
    for (const port of clientPorts) await pollUntil(async () => (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'))
    return { ports: clientPorts, url: `redis-cluster://${nodes.join(',')}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
