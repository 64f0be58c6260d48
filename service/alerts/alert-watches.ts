import type { AlertRecord } from '../api/api-types.js'

/** One rule on one device: since when its condition has held, and its alert while open (never a cleared one). */
export interface AlertWatch {
  since?: number
  /**
   * When the episode began by the readings' own times (the first breaching reading, or the last reading
   * before a silence): it names the alert (alert-id.ts), the same on every leader that judged the same
   * readings, whatever its clock and whenever its feed heard them.
   */
  episode?: number
  /** The temperature that last breached it, for the message. */
  value?: number
  open?: AlertRecord
}

/** The watch of every rule on every device an alert monitor has met, made on first use. */
export class AlertWatches {
  private readonly watches = new Map<string, AlertWatch>()

  of(ruleId: string, deviceId: string): AlertWatch {
    const key = `${ruleId}\n${deviceId}`
    let watch = this.watches.get(key)
    if (watch === undefined) {
      watch = {}
      this.watches.set(key, watch)
    }
    return watch
  }
}
