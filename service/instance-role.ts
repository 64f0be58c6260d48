import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { InstanceInfo, InstanceMode, InstanceStatus, PeerStatus } from './api/api-types.js'
import type { InstanceDesk } from './api/service-parts.js'

/**
 * This instance's part among several (`GET /api/instance`). With the SQLite history the instances sharing a
 * data directory are active-standby: one holds the directory, the others wait (standby/data-dir-lock.ts).
 * With InfluxDB they are active-active: every one ingests, and peers/ shares what each saw.
 */
export class InstanceRole implements InstanceDesk {
  readonly instance: InstanceInfo
  role: InstanceStatus['role'] = 'standby'
  /** active-standby: who holds the data directory, as far as this instance knows. */
  active: InstanceInfo | undefined
  /** active-active: the peers as the broker announces them; set once the service runs. */
  peers: (() => PeerStatus[]) | undefined
  /** With a Sparkplug host id: whether this instance runs the host now; set once the service runs. */
  sparkplugHost: (() => boolean) | undefined

  constructor(clientId: string, mode: InstanceMode, dataDir: string) {
    this.instance = { clientId, mode, host: hostname(), dataDir: resolve(dataDir), pid: process.pid, since: Date.now() }
  }

  get mode(): InstanceMode {
    return this.instance.mode
  }

  /** This instance now holds the work (took the data directory, or started active-active). */
  becomeActive(): void {
    this.instance.since = Date.now()
    this.role = 'active'
    if (this.mode === 'active-standby') this.active = this.instance
  }

  status(): InstanceStatus {
    return {
      instance: { ...this.instance },
      role: this.role,
      ...(this.active === undefined ? {} : { active: { ...this.active } }),
      ...(this.peers === undefined ? {} : { peers: this.peers() }),
      ...(this.sparkplugHost === undefined ? {} : { sparkplugHost: this.sparkplugHost() })
    }
  }
}
