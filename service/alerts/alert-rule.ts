import type { AlertSeverity } from '../api/api-types.js'

/** An alert rule, as the service is configured with it (the config file's `alerts:` list, alert-rules-config.ts). */
export interface AlertRule {
  id: string
  /** A device id, or '*' for every device. */
  deviceId: string
  condition: AlertCondition
  severity: AlertSeverity
}

/** Above / below a threshold for a duration, or silent (stale) for a duration. */
export type AlertCondition =
  | { kind: 'above'; threshold: number; forMs: number }
  | { kind: 'below'; threshold: number; forMs: number }
  | { kind: 'stale'; forMs: number }
