import type { IClientPublishOptions } from 'mqtt'

/** How the parts of the service that send (setpoint commands, alerts) reach the broker: the service's one link. */
export interface Publisher {
  /** Rejects with ServiceError 'broker-unavailable' while not connected rather than queueing. */
  publish(topic: string, payload: Buffer, options: IClientPublishOptions): Promise<void>
}
