import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'
import type { RedisClient } from '../../../broker/store/redis-connection.js'
import { type CliBroker, startCliBroker } from '../../helpers/cli-broker.js'
import { sleep } from '../../helpers/silence.js'

/**
 * `count` broker nodes (`thermopost broker --cluster`) on one Redis, named n1, n2, ... (from n`first`); killed after
 * the test. $SYS is off so that only the test's messages flow; `extra` goes on every node's command line.
 */
export async function startClusterNodes(
  t: TestContext,
  redisUrl: string,
  count: number,
  first = 1,
  extra: string[] = []
): Promise<CliBroker[]> {
  const nodes: CliBroker[] = []
  for (let i = first; i < first + count; i++) {
    const args = ['--host', '127.0.0.1', '--port', '0', '--cluster', redisUrl, '--node-id', `n${i}`, '--sys-interval', '0', ...extra]
    nodes.push(await startCliBroker(t, args, 1))
  }
  return nodes
}

/** A plain Redis client for looking at the cluster's keys; closed after the test. */
export function redisClient(t: TestContext, url: string): Redis {
  const redis = new Redis(url)
  redis.on('error', () => {}) // a test that restarts Redis: the client reconnects
  t.after(() => redis.disconnect())
  return redis
}

/** The member (the running node's current run, cluster-keys.ts) of `node`, once it has registered. */
export async function memberOfNode(redis: RedisClient, node: string): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const live = await redis.get(`tp:{cluster}:node:${node}`)
    if (live !== null) return `${node}@${live}`
    if (Date.now() > deadline) throw new Error(`${node} never registered`)
    await sleep(20)
  }
}

/** Waits until `node`'s filter set in Redis holds `filter`, then a little more for the others' directories to hear of it. */
export async function filterKnown(redis: RedisClient, node: string, filter: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await redis.sismember(`tp:{cluster}:filters:${await memberOfNode(redis, node)}`, filter))) {
    if (Date.now() > deadline) throw new Error(`${node} never recorded ${filter}`)
    await sleep(20)
  }
  await sleep(100)
}

/** How many entries were ever appended to `node`'s stream (XINFO STREAM entries-added; entries are deleted once delivered). */
export async function entriesAdded(redis: Redis, node: string): Promise<number> {
  const info = (await redis.xinfo('STREAM', `tp:{cluster}:stream:${await memberOfNode(redis, node)}`)) as unknown[]
  return Number(info[info.indexOf('entries-added') + 1])
}

/** The filter-change notes of the cluster's members (FilterDirectory), heard from the moment it is listening. */
export interface FilterNotes {
  /** Each note heard so far, as `<member> +<filter>` or `<member> -<filter>` (`<member> !`: read its set again). */
  readonly heard: string[]
  /** Resolves once every note published before the call has been heard (a marker of its own comes back after them). */
  settled(): Promise<void>
}

/** Listens to the cluster's filter-change notes on `url`; closed after the test. */
export async function listenToFilterNotes(t: TestContext, url: string): Promise<FilterNotes> {
  const channel = 'tp:{cluster}:filter-changes'
  const listener = redisClient(t, url)
  const marker = redisClient(t, url)
  const heard: string[] = []
  const markers = new Map<string, () => void>()
  listener.on('smessage', (_channel: string, text: string) => {
    // A member ignores a note without a newline: the markers are for this listener alone.
    if (markers.has(text)) markers.get(text)!()
    else heard.push(text.replace('\n', ' '))
  })
  await listener.ssubscribe(channel)
  let sent = 0
  return {
    heard,
    settled: async () => {
      const text = `settled-${++sent}`
      const back = new Promise<void>((resolve) => markers.set(text, resolve))
      await marker.spublish(channel, text)
      await back
    }
  }
}
