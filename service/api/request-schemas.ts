import { z } from 'zod'
import { onSetpointStep, SETPOINT_RANGE } from '../../common/contract/command.js'

/**
 * What each route accepts, strictly: an unknown query parameter or body field is refused, so a typo never
 * silently falls back to a default. Query values arrive as text (or a list when repeated); the schemas
 * turn them into numbers and times and say, in the message, what the field must look like.
 */

/** A query parameter given once. */
function text(field: string, maxLength = 200): z.ZodString {
  return z
    .string({ error: (issue) => (Array.isArray(issue.input) ? `${field} is given more than once` : `${field} must be text`) })
    .max(maxLength, { error: `${field} must be at most ${maxLength} characters` })
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/

/**
 * Milliseconds since the epoch, or an ISO 8601 date (UTC midnight) or date-time with its zone (`Z` or an
 * offset: a time without one would mean the server's zone, which the caller cannot see). A `+` that the
 * query string turned into a space is read as the `+` it was.
 */
export function parseTime(value: string): number | undefined {
  if (/^\d{1,16}$/.test(value)) {
    const ms = Number(value)
    return ms <= 8.64e15 ? ms : undefined
  }
  const iso = value.replace(/ (\d{2}:?\d{2})$/, '+$1')
  const match = ISO_8601.exec(iso)
  if (match === null) return undefined
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  // Date.parse rolls 2026-02-31 over into March instead of refusing it.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day || month > 12) return undefined
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? undefined : ms
}

function time(field: string) {
  return text(field, 40).transform((value, context) => {
    const ms = parseTime(value)
    if (ms !== undefined) return ms
    context.addIssue({
      code: 'custom',
      message: `${field} must be milliseconds since the epoch or an ISO 8601 time with its zone (2026-01-05T10:00:00Z), not '${value}'`
    })
    return z.NEVER
  })
}

function wholeNumber(field: string, min: number, max: number) {
  return text(field, 20).transform((value, context) => {
    const number = Number(value)
    if (/^\d+$/.test(value) && number >= min && number <= max) return number
    context.addIssue({ code: 'custom', message: `${field} must be a whole number from ${min} to ${max}, not '${value}'` })
    return z.NEVER
  })
}

function oneOf<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return z.enum(values, {
    error: (issue) =>
      Array.isArray(issue.input)
        ? `${field} is given more than once`
        : `${field} must be one of ${values.join(', ')}, not '${String(issue.input)}'`
  })
}

export const RESOLUTIONS = ['raw', '1m', '1h'] as const

/** The most points `maxPoints` may ask for: a few screens wide. */
export const MAX_POINTS_LIMIT = 20_000

export const devicesQuery = z.strictObject({
  site: text('site').optional(),
  state: oneOf('state', ['online', 'offline', 'stale', 'unknown']).optional(),
  /** Part of the id or the model, any case. */
  q: text('q', 100).optional()
})

export const readingsQuery = z.strictObject({
  from: time('from').optional(),
  to: time('to').optional(),
  resolution: oneOf('resolution', [...RESOLUTIONS, 'auto']).optional(),
  maxPoints: wholeNumber('maxPoints', 1, MAX_POINTS_LIMIT).optional()
})

/** The devices one `/readings` request may ask for: the compare view's 50 with room to spare. */
export const MAX_SERIES_PER_REQUEST = 100

export const seriesQuery = readingsQuery.extend({
  device: z
    .union(
      [
        text('device'),
        z.array(text('device')).max(MAX_SERIES_PER_REQUEST, { error: `device is given more than ${MAX_SERIES_PER_REQUEST} times` })
      ],
      { error: (issue) => (issue.input === undefined ? 'device is required: one device=SITE%2FDEVICE per series' : undefined) }
    )
    .transform((value) => [...new Set([value].flat())])
})

export const csvQuery = z.strictObject({
  from: time('from').optional(),
  to: time('to').optional(),
  resolution: oneOf('resolution', RESOLUTIONS).optional()
})

export const commandsQuery = z.strictObject({
  limit: wholeNumber('limit', 1, 1000).optional()
})

/** A page of a broker admin listing, as the admin API pages them (broker/admin/paging.ts). */
export const adminListQuery = z.strictObject({
  limit: wholeNumber('limit', 1, 1000).optional(),
  after: text('after', 65_536).optional()
})

export const adminClientsQuery = adminListQuery.extend({
  /** Part of the client id, user name or address, any case. */
  search: text('search').optional()
})

export const adminRetainedQuery = adminListQuery.extend({
  /** A topic filter; the broker checks it. */
  filter: text('filter', 65_536).optional()
})

export const alertsQuery = z.strictObject({
  state: oneOf('state', ['raised', 'acknowledged', 'cleared']).optional(),
  device: text('device').optional()
})

export const LIVE_EVENT_TYPES = ['reading', 'device', 'command', 'alert', 'broker'] as const

export const eventsQuery = z.strictObject({
  /** Only this device's events (repeat it for several); broker events always come. */
  device: z
    .union([text('device'), z.array(text('device')).max(100, { error: 'device is given more than 100 times' })])
    .transform((value) => [value].flat())
    .optional(),
  /** A comma-separated subset of LIVE_EVENT_TYPES. */
  types: text('types')
    .transform((value, context) => {
      const types = value.split(',')
      const unknown = types.find((type) => !(LIVE_EVENT_TYPES as readonly string[]).includes(type))
      if (unknown === undefined) return types as Array<(typeof LIVE_EVENT_TYPES)[number]>
      context.addIssue({
        code: 'custom',
        message: `types must be a comma-separated list of ${LIVE_EVENT_TYPES.join(', ')}, not '${unknown}'`
      })
      return z.NEVER
    })
    .optional()
})

export const setpointBody = z.strictObject({
  value: z
    .number({ error: (issue) => (issue.input === undefined ? 'value is required' : 'value must be a number (°C)') })
    .min(SETPOINT_RANGE.min, { error: `value must be from ${SETPOINT_RANGE.min} to ${SETPOINT_RANGE.max} °C` })
    .max(SETPOINT_RANGE.max, { error: `value must be from ${SETPOINT_RANGE.min} to ${SETPOINT_RANGE.max} °C` })
    .refine(onSetpointStep, { error: `value must be in steps of ${SETPOINT_RANGE.step} °C` })
})

export const loginBody = z.strictObject({
  token: z
    .string({ error: (issue) => (issue.input === undefined ? 'token is required' : 'token must be text') })
    .min(1, { error: 'token must not be empty' })
    .max(1000, { error: 'token is too long' })
})
