import type { AlertRule } from './alert-rule.js'

/** For a person: "above 30 °C for 10 min (31.2 °C)", "silent for 15 min". */
export function alertMessage(rule: AlertRule, value: number | undefined): string {
  const { condition } = rule
  const duration = formatDuration(condition.forMs)
  if (condition.kind === 'stale') return `silent for ${duration}`
  const measured = value === undefined ? '' : ` (${value} °C)`
  return `${condition.kind} ${condition.threshold} °C${condition.forMs > 0 ? ` for ${duration}` : ''}${measured}`
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${ms / 1000} s`
}
