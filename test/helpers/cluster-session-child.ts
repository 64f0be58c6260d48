import { pino } from 'pino'
import { Broker } from '../../broker/broker.js'
import type { ClusterMembership, ReleaseRequests, StreamRecovery } from '../../broker/cluster/cluster-seams.js'
import { clusterSessions } from '../../broker/cluster/cluster-sessions.js'
import { SessionLeases } from '../../broker/cluster/session-lease.js'
import { RedisStore } from '../../broker/store/redis.js'
import { RedisKeys } from '../../broker/store/redis-keys.js'

// A cluster node's sessions in a child process of its own, for tests that kill it with SIGKILL:
// `node cluster-session-child.js REDIS_URL KEY_PREFIX NODE_ID` prints `listening PORT` once it accepts clients.
// It plays no part in the cluster beyond holding sessions: nobody asks it for anything, and it sees no node die.

const [redisUrl, keyPrefix, nodeId] = process.argv.slice(2)
const seams: ClusterMembership & ReleaseRequests & StreamRecovery = {
  member: nodeId,
  isAlive: () => true,
  aliveNow: async () => true,
  onMemberDead: () => {},
  claimRecovery: async () => false,
  recoveryClaimed: async () => false,
  takeOverRecoveries: async () => [],
  requestRelease: async () => {},
  onReleaseRequest: () => {},
  drain: async () => {}
}
const leases = await SessionLeases.connect(redisUrl, new RedisKeys(keyPrefix), nodeId)
const store = new RedisStore({ url: redisUrl, keyPrefix, fence: leases })
const logger = pino({ level: 'warn' }, process.stderr)
const broker = new Broker(
  {},
  { store, logger, sessions: clusterSessions({ store, leases, logger, seams: { membership: seams, releases: seams, streams: seams } }) }
)
const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`listening ${port}\n`)
