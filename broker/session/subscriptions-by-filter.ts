import { type KeyedValues, keyedCount, keyedList, keyedValue, withKeyedValue, withoutKeyedValue } from '../keyed-values.js'
import type { Subscription } from '../router/subscription.js'

/**
 * The subscriptions of one session, by full filter (`$share/{group}/` included, the key of UNSUBSCRIBE). Most
 * sessions of a fleet hold one or none, which keyed-values.ts keeps without a Map: a session pays a Map's table
 * only from its second subscription.
 */
export class SubscriptionsByFilter {
  private held: KeyedValues<Subscription>

  get size(): number {
    return keyedCount(this.held)
  }

  get(fullFilter: string): Subscription | undefined {
    return keyedValue(this.held, fullFilter, fullFilterOf)
  }

  has(fullFilter: string): boolean {
    return this.get(fullFilter) !== undefined
  }

  /** Adds or replaces the subscription to its full filter. */
  set(subscription: Subscription): void {
    this.held = withKeyedValue(this.held, subscription, fullFilterOf)
  }

  delete(fullFilter: string): void {
    this.held = withoutKeyedValue(this.held, fullFilter, fullFilterOf)
  }

  clear(): void {
    this.held = undefined
  }

  values(): Subscription[] {
    return keyedList(this.held)
  }

  keys(): string[] {
    return this.values().map(fullFilterOf)
  }
}

function fullFilterOf(subscription: Subscription): string {
  return subscription.fullFilter
}
