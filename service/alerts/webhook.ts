import type { Logger } from 'pino'
import type { AlertRecord } from '../api/api-types.js'

/**
 * POSTs each alert change as JSON (`{"alert": AlertRecord}`) to a configured URL. Fire and forget: a slow or
 * failing receiver is cut off after `timeoutMs` and logged, and nothing in the service waits for it.
 */
export class Webhook {
  private readonly inFlight = new Set<Promise<void>>()

  constructor(
    private readonly url: string,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly timeoutMs = 5000
  ) {}

  notify(alert: AlertRecord): void {
    const posted = this.post(alert).finally(() => this.inFlight.delete(posted))
    this.inFlight.add(posted)
  }

  /** Waits for the posts under way (each ends within its timeout). */
  async close(): Promise<void> {
    await Promise.all(this.inFlight)
  }

  private async post(alert: AlertRecord): Promise<void> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alert }),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
      await response.body?.cancel()
      if (!response.ok) this.logger.warn({ status: response.status, alert: alert.id }, 'the alert webhook answered with an error')
    } catch (error) {
      this.logger.warn({ err: error, alert: alert.id }, 'posting an alert to the webhook failed')
    }
  }
}
