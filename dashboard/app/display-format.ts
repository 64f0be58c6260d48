/**
 * How the dashboard writes numbers and times for a person. Missing values show as an em dash rather than
 * "undefined" or 0, so an empty cell never reads as a measurement.
 */

export const MISSING = '—'

export function formatTemperature(celsius: number | undefined): string {
  return celsius === undefined || !Number.isFinite(celsius) ? MISSING : `${celsius.toFixed(1)} °C`
}

/** `3 d 4 h`, `5 h 2 min`, `4 min 10 s`, `42 s`: the two largest units, enough for an uptime or an age. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return MISSING
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1]
  ]
  let rest = Math.floor(seconds)
  const parts: string[] = []
  for (const [name, size] of units) {
    const count = Math.floor(rest / size)
    rest -= count * size
    if (count > 0 || parts.length > 0) parts.push(`${count} ${name}`)
    if (parts.length === 2) break
  }
  if (parts.length === 0) return '0 s'
  return parts.filter((part, index) => index === 0 || !part.startsWith('0 ')).join(' ')
}

/** `just now`, `12 s ago`, `3 min ago`; a time a little in the future (clock skew) is `just now`. */
export function formatAgo(time: number | undefined, now: number): string {
  if (time === undefined) return MISSING
  const seconds = (now - time) / 1000
  if (seconds < 2) return 'just now'
  return `${formatDuration(seconds)} ago`
}

/**
 * A value axis's tick label with as many decimals as its step needs (a step of 0.2 gives 20.4, of 2 gives 20), in
 * the page's one number format (as formatTemperature writes them). Chart.js's own makes an Intl.NumberFormat for
 * it, a cost every chart's first draw paid.
 */
export function formatTick(value: number, step: number): string {
  const decimals = step > 0 && step < 1 ? Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)) : 0
  return value.toFixed(decimals)
}

export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return MISSING
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)}/s`
}

/**
 * `1,440`: a whole number with thousands separators, as en-US writes it. Not through Intl: the page's first
 * number formatter loads locale data (about 6 ms here), paid between the history's arrival and its caption.
 */
export function formatCount(count: number | undefined): string {
  if (count === undefined) return MISSING
  const digits = String(Math.trunc(Math.abs(count)))
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',')
  return count < 0 ? `-${grouped}` : grouped
}

/** Heater on / off, or nothing for devices without one. */
export function formatHeating(heating: boolean | undefined): string {
  return heating === undefined ? MISSING : heating ? 'on' : 'off'
}

/** Bucket widths: `1 min`, `1 h`, `6 h`, `2 d`. */
export function formatBucket(ms: number): string {
  if (ms <= 0) return 'single readings'
  for (const [name, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000]
  ] as const) {
    if (ms % size === 0) return `${ms / size} ${name}`
  }
  return `${ms} ms`
}
