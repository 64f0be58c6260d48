/** The history chart's preset ranges, each ending now. */
export const RANGE_PRESETS = {
  '1h': { label: '1 h', ms: 3_600_000 },
  '24h': { label: '24 h', ms: 86_400_000 },
  '7d': { label: '7 d', ms: 7 * 86_400_000 },
  '30d': { label: '30 d', ms: 30 * 86_400_000 }
} as const

export type RangePreset = keyof typeof RANGE_PRESETS

export interface TimeRange {
  /** Inclusive, ms since the epoch. */
  from: number
  /** Exclusive, ms since the epoch. */
  to: number
}

export function isRangePreset(name: string): name is RangePreset {
  return Object.hasOwn(RANGE_PRESETS, name)
}

export function presetRange(preset: RangePreset, now: number): TimeRange {
  return { from: now - RANGE_PRESETS[preset].ms, to: now }
}

/**
 * A custom range from two `datetime-local` values (local time, no zone), or a message saying what is wrong.
 */
export function customRange(fromText: string, toText: string): TimeRange | string {
  const from = new Date(fromText).getTime()
  const to = new Date(toText).getTime()
  if (fromText === '' || Number.isNaN(from)) return 'Choose when the range starts.'
  if (toText === '' || Number.isNaN(to)) return 'Choose when the range ends.'
  if (to <= from) return 'The range must end after it starts.'
  return { from, to }
}

/** The value a `datetime-local` input shows for `time`, in local time. */
export function toLocalInput(time: number): string {
  const date = new Date(time - new Date(time).getTimezoneOffset() * 60_000)
  return date.toISOString().slice(0, 16)
}
