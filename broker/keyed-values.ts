/**
 * Values held by a key that each value carries itself (`keyOf`): nothing, the only value itself, or from two on a Map
 * by key. Most holders hold one value (a device's session has one subscription, a device's filter one subscriber),
 * and a Map with its table costs about 260 bytes where the value is one reference. A value must not be a Map.
 * Every change returns what the holder keeps from then on.
 */
export type KeyedValues<V> = V | Map<string, V> | undefined

export function keyedValue<V>(held: KeyedValues<V>, key: string, keyOf: (value: V) => string): V | undefined {
  if (held === undefined) return undefined
  if (held instanceof Map) return held.get(key)
  return keyOf(held) === key ? held : undefined
}

export function keyedCount<V>(held: KeyedValues<V>): number {
  if (held === undefined) return 0
  return held instanceof Map ? held.size : 1
}

/** Every value held, in the order they were first set. */
export function keyedList<V>(held: KeyedValues<V>): V[] {
  if (held === undefined) return []
  return held instanceof Map ? [...held.values()] : [held]
}

/** Sets `value` under its key, replacing the one there. */
export function withKeyedValue<V>(held: KeyedValues<V>, value: V, keyOf: (value: V) => string): KeyedValues<V> {
  if (held === undefined) return value
  const key = keyOf(value)
  if (held instanceof Map) return held.set(key, value)
  const heldKey = keyOf(held)
  if (heldKey === key) return value
  return new Map([
    [heldKey, held],
    [key, value]
  ])
}

/** Removes the value under `key`, if there is one; a Map left with one value gives way to the value. */
export function withoutKeyedValue<V>(held: KeyedValues<V>, key: string, keyOf: (value: V) => string): KeyedValues<V> {
  if (held === undefined) return undefined
  if (!(held instanceof Map)) return keyOf(held) === key ? undefined : held
  held.delete(key)
  if (held.size > 1) return held
  return held.size === 1 ? held.values().next().value : undefined
}
