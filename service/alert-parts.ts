import type { Logger } from 'pino'
import type { Adapter } from './adapters/adapter.js'
import { AdapterDispatcher } from './adapters/adapter-dispatcher.js'
import { AlertLog } from './alerts/alert-log.js'
import { AlertMonitor } from './alerts/alert-monitor.js'
import type { AlertRule } from './alerts/alert-rule.js'
import { Webhook } from './alerts/webhook.js'
import type { LiveEvent } from './api/api-types.js'
import type { SqliteDatabase } from './history/sqlite-driver.js'
import { ReadingFeed } from './ingest/reading-feed.js'
import type { ServiceLink } from './ingest/service-link.js'
import { AlertLeadership } from './peers/alert-leadership.js'
import type { LeadTurn } from './peers/lead-turn.js'
import type { SharedAlerts } from './peers/shared-alerts.js'
import type { DeviceRegistry } from './registry/device-registry.js'

/** The service's alerts as startService assembles them (alertParts): one instance's, or active-active instances' shared ones. */

/** What the alerts take from the service's options (ServiceOptions has them all). */
export interface AlertOptions {
  urls: readonly string[]
  username?: string
  password?: string
  clientId?: string
  alertRules?: readonly AlertRule[]
  webhookUrl?: string
  webhookTimeoutMs?: number
  logger: Logger
  timing?: { alertCheckMs?: number }
}

export interface AlertPartsInputs {
  link: ServiceLink
  emit: (event: LiveEvent) => void
  registry: DeviceRegistry
  db: SqliteDatabase
  /** Active-active only, both. */
  sharedAlerts: SharedAlerts | undefined
  turn: LeadTurn | undefined
  adapters: readonly Adapter[]
}

/**
 * The alert monitor with its webhook; active-active, the broker's retained records are its store, the same
 * for every instance, and the leadership that has one instance at a time evaluate the rules.
 */
export function alertParts(
  options: AlertOptions,
  { link, emit, registry, db, sharedAlerts, turn, adapters }: AlertPartsInputs
): { alerts: AlertMonitor; webhook?: Webhook; leadership?: AlertLeadership } {
  const { logger } = options
  const webhook = options.webhookUrl === undefined ? undefined : new Webhook(options.webhookUrl, logger, options.webhookTimeoutMs)
  const alerts = new AlertMonitor({
    rules: options.alertRules ?? [],
    devices: registry,
    link,
    emit,
    webhook,
    ...(sharedAlerts === undefined ? { log: new AlertLog(db) } : { share: sharedAlerts }),
    logger,
    checkMs: options.timing?.alertCheckMs
  })
  if (turn === undefined) return { alerts, webhook }
  return { alerts, webhook, leadership: alertLeadership(options, { turn, alerts, adapters }) }
}

/** Active-active: the alert rules evaluated by one instance at a time, on a feed of every reading while it leads. */
function alertLeadership(
  options: AlertOptions,
  parts: { turn: LeadTurn; alerts: AlertMonitor; adapters: readonly Adapter[] }
): AlertLeadership {
  const { turn, alerts, adapters } = parts
  const feed = new ReadingFeed({
    urls: options.urls,
    clientId: `${options.clientId ?? 'thermopost-service'}-alerts`,
    username: options.username,
    password: options.password,
    dispatcher: new AdapterDispatcher(adapters),
    onReading: (reading) => alerts.handleReading(reading),
    logger: options.logger
  })
  return new AlertLeadership({ turn, alerts, feed, logger: options.logger })
}
