import type { RedisClient } from '../store/redis-connection.js'
import { type ClusterKeys, STREAM_GROUP } from './cluster-keys.js'

/**
 * Makes sure `member`'s stream and its consumer group exist, unless the stream was drained and moved to a recoverer
 * (`moved:<member>`): a member found dead while it was only paused must not make its stream again, or the appends
 * that now go to its recoverer would land there, where nobody reads them once it stops. Answers whether they exist.
 */
export async function createStreamGroup(commands: RedisClient, keys: ClusterKeys, member: string): Promise<boolean> {
  return (await commands.eval(CREATE_UNLESS_MOVED_SCRIPT, 2, keys.stream(member), keys.moved(member), STREAM_GROUP)) === 1
}

/** KEYS: the stream, its moved key; ARGV: the group. A group that is there already is fine (BUSYGROUP). */
const CREATE_UNLESS_MOVED_SCRIPT = `if redis.call('exists', KEYS[2]) == 1 then return 0 end
local created = redis.pcall('xgroup', 'create', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, '^BUSYGROUP') then
  return redis.error_reply(created.err)
end
return 1`
