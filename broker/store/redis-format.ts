import type { RedisClient } from './redis-connection.js'
import { type RedisKeys, STORE_FORMAT_VERSION } from './redis-keys.js'
import type { RedisTopology } from './redis-url.js'
import { StoreOpenError } from './store-open-error.js'

/**
 * Makes sure the keys under the store's prefix are of this broker's format: claims an unused prefix, upgrades
 * format 1 in place (one MULTI of RENAMEs, on one Redis or a Sentinel's primary) and format 2 by its version alone,
 * and refuses anything else with a StoreOpenError naming what it found.
 */
export async function checkStoreFormat(redis: RedisClient, keys: RedisKeys, topology: RedisTopology, url: string): Promise<void> {
  let found = await redis.get(keys.format)
  if (found === null) {
    const formatOne = await redis.get(keys.format1.format)
    if (formatOne === null) {
      await redis.setnx(keys.format, String(STORE_FORMAT_VERSION))
      found = await redis.get(keys.format)
    } else {
      if (formatOne !== '1') notAStore(keys.format1.format, formatOne, url)
      await upgradeFormatOne(redis, keys, topology, url)
      found = String(STORE_FORMAT_VERSION)
    }
  }
  const version = Number(found)
  if (!Number.isInteger(version) || version < 1) notAStore(keys.format, found, url)
  if (version > STORE_FORMAT_VERSION) {
    const message = `the store at ${url} (prefix '${keys.prefix}') has format ${version}; this broker reads up to ${STORE_FORMAT_VERSION}`
    throw new StoreOpenError(url, message, 'NEWER_VERSION')
  }
  // Format 2's data reads as format 3 (redis-keys.ts); the version goes up so a format 2 broker no longer opens it.
  if (version === 2) await redis.set(keys.format, String(STORE_FORMAT_VERSION))
}

/** Format 1 differs only in the names of the broker-wide keys: they gain the `{store}` hash tag. */
async function upgradeFormatOne(redis: RedisClient, keys: RedisKeys, topology: RedisTopology, url: string): Promise<void> {
  if (topology === 'cluster') {
    // Format 1's broker-wide keys hash to different slots, so a Redis Cluster cannot rename them in one step.
    const message =
      `the store at ${url} (prefix '${keys.prefix}') has format 1, which a Redis Cluster cannot upgrade: open it once ` +
      'with a broker on a single Redis (it upgrades to format 2 in place), then move it to the Cluster'
    throw new StoreOpenError(url, message, 'OLDER_VERSION')
  }
  const old = keys.format1
  const renames: Array<[string, string]> = [
    [old.sessions, keys.sessions],
    [old.retained, keys.retained],
    [old.meta, keys.meta]
  ]
  const present = await Promise.all(renames.map(([from]) => redis.exists(from)))
  const transaction = redis.multi()
  renames.forEach(([from, to], i) => {
    if (present[i] === 1) transaction.rename(from, to)
  })
  transaction.set(keys.format, String(STORE_FORMAT_VERSION)).del(old.format)
  const results = await transaction.exec()
  const failed = results === null ? new Error('the transaction was aborted') : results.find(([error]) => error !== null)?.[0]
  if (failed !== undefined && failed !== null) {
    const message = `could not upgrade the store at ${url} (prefix '${keys.prefix}') from format 1: ${failed.message}`
    throw new StoreOpenError(url, message, 'UPGRADE_FAILED')
  }
}

function notAStore(key: string, found: string | null, url: string): never {
  throw new StoreOpenError(url, `${key} at ${url} holds ${JSON.stringify(found)}, not a store format version`, 'NOT_A_STORE')
}
