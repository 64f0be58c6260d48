import type { RedisCommand } from './redis-batch.js'
import type { RedisKeys } from './redis-keys.js'

/**
 * The session leases this node holds, as the store's writes need them. In a cluster a session is written by one node
 * at a time: the one whose token `<node>:<epoch>` is in the session's lease key (cluster/session-lease.ts).
 */
export interface SessionFence {
  /** The token this node holds for the session's lease, or undefined when it holds none. */
  tokenOf(clientId: string): string | undefined
  /**
   * The session's writes were refused: another node holds its lease now (or this node never held it). Called before
   * the batch that carried them resolves, so whatever waited on that batch for this session is not acknowledged.
   */
  refused(clientId: string): void
  /**
   * The client ids whose sessions open() reads: those this node may hold (a superset is fine; the registry checks each
   * lease). The others are read when a client of theirs arrives here (loadSession).
   */
  sessionsToRestore(): Promise<string[]>
}

/**
 * Applies a session's commands only while its lease holds the token: one step, so no other node's claim can come
 * between the check and the writes. Returns 1 when applied, 0 when refused.
 * KEYS[1] is the lease, KEYS[2..] the keys the commands touch (declared so a Redis Cluster routes and checks them;
 * they share the session's hash tag). ARGV[1] is the token, then each command as its argument count and arguments.
 */
const FENCED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1`

/** A batch's commands as sent with fencing, and how to read the answers back in the batch's own layout. */
export interface FencedCommands {
  readonly commands: RedisCommand[]
  /**
   * The answers to `commands` laid out as the original commands were: a fenced write's answer is its script's (1
   * applied, 0 refused), an unsent write's null. Tells the fence of every refused session first.
   */
  unfence(results: Array<[Error | null, unknown]>): Array<[Error | null, unknown]>
}

/**
 * Wraps each run of consecutive writes of one session in FENCED_WRITE, in order, so what the batch does is unchanged
 * while the lease holds. Reads (`isRead`) and broker-wide commands go as they are: a read changes nothing, and a key
 * without a session's hash tag has no lease. A session this node holds no token for has its writes left out.
 * Works on any list of commands, so a batch split by hash slot can be fenced slot by slot.
 */
export function fenceCommands(
  commands: readonly RedisCommand[],
  isRead: (index: number) => boolean,
  keys: RedisKeys,
  fence: SessionFence
): FencedCommands {
  const sent: RedisCommand[] = []
  /** For each original command, where its answer is in `sent` (-1: not sent). */
  const positions: number[] = []
  /** Each fenced run's place in `sent` and its session. */
  const runs = new Map<number, string>()
  const unleased = new Set<string>()
  let run: { clientId: string; script: RedisCommand; keys: Set<string>; argv: Array<string | number> } | undefined
  const closeRun = (): void => {
    if (run === undefined) return
    const declared = [keys.lease(run.clientId), ...run.keys]
    run.script.push(declared.length, ...declared, ...run.argv)
    run = undefined
  }
  commands.forEach((command, index) => {
    const clientId = isRead(index) ? undefined : keys.sessionOf(String(command[1]))
    if (clientId === undefined) {
      closeRun()
      positions.push(sent.length)
      sent.push(command)
      return
    }
    const token = fence.tokenOf(clientId)
    if (token === undefined) {
      unleased.add(clientId)
      positions.push(-1)
      return
    }
    if (run?.clientId !== clientId) {
      closeRun()
      run = { clientId, script: ['eval', FENCED_WRITE], keys: new Set(), argv: [token] }
      runs.set(sent.length, clientId)
      sent.push(run.script)
    }
    for (const argument of commandKeys(command)) run.keys.add(argument)
    run.argv.push(command.length, ...command)
    positions.push(sent.length - 1)
  })
  closeRun()
  return {
    commands: sent,
    unfence(results) {
      const refused = new Set(unleased)
      for (const [index, clientId] of runs) if (results[index]?.[0] === null && results[index][1] === 0) refused.add(clientId)
      for (const clientId of refused) fence.refused(clientId)
      return positions.map((position) => (position < 0 ? [null, null] : results[position]))
    }
  }
}

/** The keys a store command names: every argument of DEL, the first of the others. */
function commandKeys(command: RedisCommand): string[] {
  return command[0] === 'del' ? command.slice(1).map(String) : [String(command[1])]
}
