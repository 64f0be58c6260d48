import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { CommandError } from '../../common/command-errors.js'
import type { PartSpec } from './supervised-part.js'

/**
 * The local Redis of `thermopost start --nodes N`: the one shared state of the N broker nodes. It runs with the
 * settings the cluster's no-loss promise needs (every write appended and fsynced before Redis answers), keeps its
 * files in the data directory, and listens on loopback only.
 */

/** Debian's redis-server, which the cluster needs; a clear message when it is not installed. */
export function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
  } catch {
    throw new CommandError('--nodes needs Redis for the nodes to share their state: install it (Debian: apt-get install redis-server)')
  }
}

export async function redisSpec(host: string, port: number, dataDir: string): Promise<PartSpec> {
  const dir = join(dataDir, 'redis')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return {
    name: 'redis',
    // redis-server does not watch the supervisor the way our own parts do (they close when its IPC channel goes):
    // the parent-death signal stops it when the supervisor is killed, so no orphan keeps the append-only file open.
    command: 'setpriv',
    args: [
      '--pdeathsig',
      'TERM',
      '--',
      redisServerPath(),
      '--bind',
      host,
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--protected-mode',
      'yes'
    ],
    ready: /Ready to accept connections/
  }
}

/** The flags that make one broker a node of the cluster on the local Redis. */
export function clusterNodeFlags(host: string, redisPort: number, node: number): string[] {
  return ['--cluster', `redis://${host}:${redisPort}`, '--node-id', `node-${node}`]
}
