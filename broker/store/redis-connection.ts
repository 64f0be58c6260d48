import { Cluster, Redis } from 'ioredis'
import { parseRedisUrl, type RedisTopology, type RedisUrl } from './redis-url.js'

/** One Redis, a primary found through Sentinel, or a Redis Cluster: the commands the store sends are the same. */
export type RedisClient = Redis | Cluster

export interface RedisConnection {
  client: RedisClient
  topology: RedisTopology
  /** The URL with its password masked, for messages. */
  display: string
  /**
   * Whether a replica can be promoted in place of the server that answered a write (Sentinel; a Cluster whose masters
   * have replicas, as `learnReplicas` last found): then a write is safe only once a replica has it too.
   */
  failsOverToReplicas(): boolean
  /**
   * Asks a Cluster whether it has replicas (CLUSTER NODES: CLUSTER SLOTS leaves out a replica that has no data yet);
   * done again on its own whenever the client refreshes its slot map. Resolves at once for the other topologies.
   */
  learnReplicas(): Promise<void>
}

export interface RedisConnectionOptions {
  /** Asked after each lost connection: whether to try again (the store does only while it is open). Default: always. */
  reconnect?: () => boolean
  /** How long a connection attempt may take. */
  connectTimeoutMs?: number
  /**
   * The connection subscribes to sharded channels (SSUBSCRIBE): on a Cluster each one is then heard from the node
   * serving its slot, which delivers what is SPUBLISHed there before it answers the publisher.
   */
  shardedSubscriber?: boolean
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000
/** How often a Cluster client re-reads which node serves which slot. */
const SLOTS_REFRESH_MS = 1000

/**
 * An ioredis client for a Redis URL (the forms are in redis-url.ts; a bad one throws RedisUrlError). It does not
 * connect until `connect()`. It fails fast: a command sent while Redis is away fails at once instead of waiting in a
 * client-side queue (so nothing is acknowledged that Redis has not answered), and it reconnects on its own, waiting
 * 100 ms more after each failed attempt, at most 2 s.
 */
export function connectRedis(url: string | RedisUrl, options: RedisConnectionOptions = {}): RedisConnection {
  const parsed = typeof url === 'string' ? parseRedisUrl(url) : url
  const retry = (attempt: number): number | null => ((options.reconnect?.() ?? true) ? Math.min(attempt * 100, 2000) : null)
  const common = {
    username: parsed.username,
    password: parsed.password,
    tls: parsed.tls ? {} : undefined,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0
  }
  let client: RedisClient
  let failsOverToReplicas = parsed.topology === 'sentinel'
  let learnReplicas = async (): Promise<void> => {}
  if (parsed.topology === 'cluster') {
    const cluster = new Cluster(parsed.endpoints, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      // After a failover the slot map is otherwise re-read only on a redirection ioredis follows itself, which it does
      // not for a pipeline with WAIT in it (redis-commit.ts): writes to the promoted replica's slots would fail on.
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      shardedSubscribers: options.shardedSubscriber ?? false,
      redisOptions: common
    })
    learnReplicas = async () => {
      const nodes = await cluster.cluster('NODES')
      failsOverToReplicas = /^\S+ \S+ (?:\S+,)?slave[ ,]/m.test(String(nodes))
    }
    cluster.on('refresh', () => {
      // The first refresh comes while connecting, before the client may send anything: the caller asks then.
      if (cluster.status === 'ready') learnReplicas().catch(() => {}) // the next refresh asks again
    })
    client = cluster
  } else if (parsed.topology === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: parsed.endpoints,
      name: parsed.masterName,
      db: parsed.db,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
      sentinelReconnectStrategy: retry,
      // Told of a promotion by the Sentinels at once, rather than on the next failed command.
      failoverDetector: true
    })
  } else {
    const [{ host, port }] = parsed.endpoints
    client = new Redis({ ...common, host, port, db: parsed.db, lazyConnect: true, enableOfflineQueue: false, retryStrategy: retry })
  }
  return {
    client,
    topology: parsed.topology,
    display: parsed.display,
    failsOverToReplicas: () => failsOverToReplicas,
    learnReplicas: () => learnReplicas()
  }
}
