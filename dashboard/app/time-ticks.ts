const SECOND = 1000
const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

/** Tick steps under a day, ms: ticks fall on whole ones of these in local time. */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30]
  .map((n) => n * SECOND)
  .concat(
    [1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
    [1, 2, 3, 6, 12].map((n) => n * HOUR)
  )
/** Steps of whole days, then of whole months: on local midnights, and on the first of a month. */
const DAY_STEPS = [1, 2, 7, 14]
const MONTH_STEPS = [1, 3, 6, 12]

/**
 * The times of an axis's ticks from `min` to `max` (ms since the epoch), at most `maxTicks` of them, on round local
 * times: whole seconds, minutes or hours under a day, local midnights for days, the first of the month above. It is
 * what Chart.js's time scale did with a date library; a linear axis with these ticks needs neither (a smaller
 * bundle, a faster first chart), and the labels stay Intl's (time-labels.ts).
 */
export function timeTicks(min: number, max: number, maxTicks: number): number[] {
  const span = max - min
  if (!(span > 0) || maxTicks < 1) return [min]
  const clockStep = CLOCK_STEPS.find((step) => span / step <= maxTicks)
  if (clockStep !== undefined) return clockTicks(min, max, clockStep)
  const days = DAY_STEPS.find((step) => span / (step * DAY) <= maxTicks)
  if (days !== undefined) return calendarTicks(min, max, 'day', days)
  const months = MONTH_STEPS.find((step) => span / (step * 30 * DAY) <= maxTicks) ?? Math.ceil(span / (maxTicks * 30 * DAY))
  return calendarTicks(min, max, 'month', months)
}

/** Whole multiples of `step` in local time (the zone's offset at `min`: a DST change within a day's axis is an hour off). */
function clockTicks(min: number, max: number, step: number): number[] {
  const offset = new Date(min).getTimezoneOffset() * MINUTE
  const ticks: number[] = []
  for (let tick = Math.ceil((min - offset) / step) * step + offset; tick <= max; tick += step) ticks.push(tick)
  return ticks
}

/** From the first local midnight (or first of a month) at or after `min`, every `step` days (or months), up to `max`. */
function calendarTicks(min: number, max: number, unit: 'day' | 'month', step: number): number[] {
  const date = new Date(min)
  date.setHours(0, 0, 0, 0)
  if (unit === 'month') date.setDate(1)
  const advance = (count: number): number =>
    unit === 'day' ? date.setDate(date.getDate() + count) : date.setMonth(date.getMonth() + count)
  while (date.getTime() < min) advance(1)
  const ticks: number[] = []
  for (; date.getTime() <= max; advance(step)) ticks.push(date.getTime())
  return ticks
}
