const MINUTE = 60_000
const DAY = 86_400_000

/**
 * The one label format for an axis whose ticks are `stepMs` apart, written by Intl in the browser's locale (as
 * every other time on the page is): tenths of a second or seconds only when ticks are under a minute apart, the date once they are a
 * day apart or more. One format per step, so an axis never mixes "3:37:58 a.m." with "4AM".
 */
export function tickFormatOptions(stepMs: number): Intl.DateTimeFormatOptions {
  if (stepMs < 1000) return { hour: 'numeric', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 1 }
  if (stepMs < MINUTE) return { hour: 'numeric', minute: '2-digit', second: '2-digit' }
  if (stepMs < DAY) return { hour: 'numeric', minute: '2-digit' }
  if (stepMs < 28 * DAY) return { month: 'short', day: 'numeric' }
  if (stepMs < 365 * DAY) return { month: 'short', year: 'numeric' }
  return { year: 'numeric' }
}

/** The tooltip's time: the full date and time to the second. */
export const TOOLTIP_FORMAT: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' }

const formats = new Map<string, Intl.DateTimeFormat>()

/** `time` in the browser's locale with these options; the formatter is made once per set of options. */
export function formatTime(time: number, options: Intl.DateTimeFormatOptions): string {
  const key = JSON.stringify(options)
  let format = formats.get(key)
  if (format === undefined) {
    format = new Intl.DateTimeFormat(undefined, options)
    formats.set(key, format)
  }
  return format.format(time)
}

/** A tick's label given every tick of its axis: the step is the first two ticks' distance. */
export function tickLabel(time: number, ticks: ReadonlyArray<{ value: number }>): string {
  const step = ticks.length > 1 ? ticks[1].value - ticks[0].value : DAY
  return formatTime(time, tickFormatOptions(step))
}
