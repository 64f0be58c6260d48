import { Broker } from '../../broker/broker.js'
import type { BrokerOptions } from '../../broker/options.js'

export interface RunningBroker {
  broker: Broker
  port: number
  /** mqtt://127.0.0.1:PORT */
  url: string
  close(): Promise<void>
}

/** An in-process broker on a free loopback port; close it in `t.after`. */
export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<RunningBroker> {
  const broker = new Broker(options)
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  return { broker, port, url: `mqtt://127.0.0.1:${port}`, close: () => broker.close() }
}
