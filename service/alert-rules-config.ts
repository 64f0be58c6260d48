import { z } from 'zod'
import { parseDuration } from '../common/config/duration.js'
import type { AlertRule } from './alerts/alert-rule.js'

const duration = z.string().transform((text, context) => {
  const ms = parseDuration(text)
  if (ms !== undefined && ms > 0) return ms
  // The config file's problem lines add the value itself.
  context.addIssue({ code: 'custom', message: 'must be a time like 90s, 10m or 12h' })
  return z.NEVER
})

/**
 * One alert rule as the config file's `alerts` list spells it: exactly one of `above`, `below` (°C, for the
 * duration `for`) or `stale: true` (silent for `for`), on one device or every one ('*', the default).
 */
export const alertRuleConfigSchema = z
  .strictObject({
    id: z.string().min(1).optional(),
    device: z.string().min(1).default('*'),
    above: z.number().optional(),
    below: z.number().optional(),
    stale: z.literal(true).optional(),
    for: duration,
    severity: z.enum(['info', 'warning', 'critical']).default('warning')
  })
  .refine((rule) => [rule.above, rule.below, rule.stale].filter((value) => value !== undefined).length === 1, {
    error: 'needs exactly one of above, below or stale'
  })

export type AlertRuleConfig = z.output<typeof alertRuleConfigSchema>

/** The rules the service's AlertMonitor takes; a rule without an id is named after its place in the list. */
export function alertRulesOf(configs: readonly AlertRuleConfig[]): AlertRule[] {
  return configs.map((config, index) => ({
    id: config.id ?? `rule-${index + 1}`,
    deviceId: config.device,
    severity: config.severity,
    condition:
      config.above !== undefined
        ? { kind: 'above', threshold: config.above, forMs: config.for }
        : config.below !== undefined
          ? { kind: 'below', threshold: config.below, forMs: config.for }
          : { kind: 'stale', forMs: config.for }
  }))
}
