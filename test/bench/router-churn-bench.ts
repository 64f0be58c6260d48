import { pathToFileURL } from 'node:url'
import { Router } from '../../broker/router/router.js'
import type { Subscription } from '../../broker/router/subscription.js'
import { subscriber, subscription } from '../helpers/router-subscriptions.js'
import { median } from './stats.js'

/**
 * The router's match cache under subscription churn: publishes cycle over 10 000 distinct topics while a
 * subscription comes or goes every `every` publishes, alternately one to a single topic and a wildcard one to
 * 100 topics. `clear-all` drops the whole cache on each change (the router before selective invalidation);
 * `selective` drops only the cached topics the changed filter matches.
 */
export interface ChurnFigure {
  /** Publishes between two subscription changes; 0 = no churn. */
  every: number
  clearAllPerSecond: number
  selectivePerSecond: number
}

export interface RouterChurnFigures {
  topics: number
  subscriptions: number
  churn: ChurnFigure[]
}

const SITES = 100
const DEVICES = 100
const MEASURE_MS = 600
/** Each variant and churn rate runs this many times, interleaved, and reports the median. */
const REPEATS = 3

/** The router as it was: every SUBSCRIBE or UNSUBSCRIBE empties the whole match cache. */
class ClearAllRouter extends Router {
  protected override forgetMatches(): void {
    this.clearMatches()
  }
}

function topicOf(index: number): string {
  return `site/s${Math.floor(index / DEVICES) % SITES}/device/d${index % DEVICES}/temperature`
}

/** A dashboard per site, a service for everything, and one subscriber per tenth device. */
function standingSubscriptions(): Subscription[] {
  const out = [subscription(subscriber('ingest'), '+/+/device/+/temperature')]
  for (let site = 0; site < SITES; site++) out.push(subscription(subscriber(`dashboard-${site}`), `site/s${site}/#`))
  for (let index = 0; index < SITES * DEVICES; index += 10) out.push(subscription(subscriber(`watch-${index}`), topicOf(index)))
  return out
}

/** Publishes matched per second over MEASURE_MS, with a subscription change every `every` publishes. */
function measure(router: Router, every: number): number {
  const topics = SITES * DEVICES
  const churner = subscriber('churner')
  let live: Subscription | undefined
  let changes = 0
  let matched = 0
  let published = 0
  const started = performance.now()
  let now = started
  while (now - started < MEASURE_MS) {
    for (let i = 0; i < 1000; i++, published++) {
      if (every > 0 && published % every === 0) {
        if (live !== undefined) {
          router.unsubscribe(live)
          live = undefined
        } else {
          const site = changes % SITES
          live = subscription(churner, changes % 4 === 0 ? `site/s${site}/device/+/temperature` : topicOf(changes * 7919))
        }
        if (live !== undefined) router.subscribe(live)
        changes++
      }
      matched += router.match(topicOf(published % topics)).sessions.length
    }
    now = performance.now()
  }
  if (live !== undefined) router.unsubscribe(live)
  if (matched === 0) throw new Error('nothing matched: the bench measures nothing')
  return (published / (now - started)) * 1000
}

function routerWith(kind: 'clear-all' | 'selective'): Router {
  const router = kind === 'clear-all' ? new ClearAllRouter() : new Router()
  for (const standing of standingSubscriptions()) router.subscribe(standing)
  return router
}

export async function runRouterChurnBench(): Promise<RouterChurnFigures> {
  const clearAll = routerWith('clear-all')
  const selective = routerWith('selective')
  measure(clearAll, 1000) // warm-up: the first run would otherwise also time the JIT
  measure(selective, 1000)
  const churn: ChurnFigure[] = []
  for (const every of [0, 10_000, 1000, 100]) {
    const old: number[] = []
    const now: number[] = []
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      old.push(measure(clearAll, every))
      now.push(measure(selective, every))
    }
    churn.push({ every, clearAllPerSecond: median(old)!, selectivePerSecond: median(now)! })
  }
  return { topics: SITES * DEVICES, subscriptions: standingSubscriptions().length, churn }
}

export function renderRouterChurnBench(figures: RouterChurnFigures): string {
  const rate = (perSecond: number): string => Math.round(perSecond).toLocaleString('en')
  return [
    `Router matches over ${figures.topics.toLocaleString('en')} topics, ${figures.subscriptions} standing subscriptions (median of ${REPEATS})`,
    '',
    '| subscription change | clear-all matches/s | selective matches/s | selective / clear-all |',
    '| --- | --- | --- | --- |',
    ...figures.churn.map(
      (c) =>
        `| ${c.every === 0 ? 'none' : `every ${c.every.toLocaleString('en')} publishes`} | ${rate(c.clearAllPerSecond)} | ${rate(c.selectivePerSecond)} | ${(c.selectivePerSecond / c.clearAllPerSecond).toFixed(2)} |`
    )
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderRouterChurnBench(await runRouterChurnBench()))
