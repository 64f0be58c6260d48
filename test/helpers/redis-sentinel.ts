import type { ChildProcess } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { distinctFreePorts } from './free-port.js'
import { DURABLE_REDIS_ARGS, launchRedis, pollUntil, redisCli, redisTempDir, stopProcess } from './redis-server.js'

export interface RunningSentinel {
  /** redis+sentinel://127.0.0.1:SENTINEL_PORT/MASTER_NAME */
  url: string
  masterName: string
  /** The Sentinel's port. */
  port: number
  primaryPort: number
  replicaPorts: number[]
  /** The port the Sentinel names as the primary now. */
  currentPrimaryPort(): Promise<number>
  /** SIGKILLs the redis-server on that port (the primary or a replica): no chance to write anything more. */
  kill(port: number): Promise<void>
  /** Stops every process and removes their files. */
  stop(): Promise<void>
}

const MASTER_NAME = 'thermopost'

/**
 * A primary, its replicas (one unless told) and one Sentinel watching them (quorum 1), on free loopback ports, each
 * redis-server with its AOF (appendfsync always) in its own directory. The Sentinel declares the primary down after
 * 1 s without an answer and then promotes a replica. Ready once every replica is in sync and the Sentinel knows it.
 */
export async function startRedisSentinel(replicas = 1): Promise<RunningSentinel> {
  const dir = redisTempDir()
  const [sentinelPort, primaryPort, ...replicaPorts] = await distinctFreePorts(2 + replicas)
  const children = new Map<number, ChildProcess>()
  const stop = async (): Promise<void> => {
    await Promise.all([...children.values()].map((child) => stopProcess(child, 'SIGTERM')))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const server = async (port: number, ...extra: string[]): Promise<void> => {
      mkdirSync(join(dir, String(port)))
      const args = ['--port', String(port), ...DURABLE_REDIS_ARGS, '--appendfsync', 'always', '--dir', join(dir, String(port)), ...extra]
      children.set(port, await launchRedis(args, port))
    }
    await server(primaryPort)
    for (const port of replicaPorts) {
      await server(port, '--replicaof', '127.0.0.1', String(primaryPort))
      await pollUntil(async () => (await redisCli(port, 'info', 'replication')).includes('master_link_status:up'))
    }
    // Sentinel rewrites its config file as it learns: it must be a file of its own that it can write.
    const config = join(dir, 'sentinel.conf')
    writeFileSync(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        ''
      ].join('\n')
    )
    children.set(sentinelPort, await launchRedis([config, '--sentinel', '--daemonize', 'no', '--logfile', ''], sentinelPort))
    for (const port of replicaPorts)
      await pollUntil(async () => (await redisCli(sentinelPort, 'sentinel', 'replicas', MASTER_NAME)).includes(String(port)))
    return {
      url: `redis+sentinel://127.0.0.1:${sentinelPort}/${MASTER_NAME}`,
      masterName: MASTER_NAME,
      port: sentinelPort,
      primaryPort,
      replicaPorts,
      async currentPrimaryPort() {
        const answer = await redisCli(sentinelPort, 'sentinel', 'get-master-addr-by-name', MASTER_NAME)
        return Number(answer.trim().split('\n')[1])
      },
      kill: (port) => stopProcess(children.get(port)!, 'SIGKILL'),
      stop
    }
  } catch (error) {
    await stop()
    throw error
  }
}
