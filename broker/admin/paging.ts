import type { Request } from 'express'
import { AdminError } from './admin-error.js'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

/** One page of a listing: `limit` items after the key `after` (exclusive), in key order. */
export interface PageRequest {
  readonly limit: number
  readonly after: string | undefined
}

/** `?limit=` (1 to 1000, default 100) and `?after=` (the `next` of the page before). */
export function pageRequest(req: Request): PageRequest {
  const { limit, after } = req.query
  let parsed = DEFAULT_LIMIT
  if (limit !== undefined) {
    parsed = typeof limit === 'string' && /^\d+$/.test(limit) ? Number(limit) : 0
    if (parsed < 1 || parsed > MAX_LIMIT)
      throw new AdminError('invalid-field', `limit must be a whole number from 1 to ${MAX_LIMIT}`, 'limit')
  }
  if (after !== undefined && typeof after !== 'string') throw new AdminError('invalid-field', 'after must be given once', 'after')
  return { limit: parsed, after }
}

/**
 * The page of `items` that `request` asks for, sorted by `keyOf` (unique per item), and the key to ask for the next
 * page with (`null` on the last page). Keyed rather than numbered, so a page does not shift as items come and go.
 */
export function page<T>(items: Iterable<T>, keyOf: (item: T) => string, request: PageRequest): { items: T[]; next: string | null } {
  const after = request.after
  const sorted = [...items].filter((item) => after === undefined || keyOf(item) > after).sort((a, b) => compare(keyOf(a), keyOf(b)))
  const taken = sorted.slice(0, request.limit)
  return { items: taken, next: sorted.length > taken.length ? keyOf(taken[taken.length - 1]!) : null }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
