import type { TestContext } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { RawClient } from '../../helpers/raw-client.js'
import { mqttClient } from '../../helpers/session-clients.js'

/** A broker for one test, watched by an mqtt.js 3.1.1 client subscribed to `filter` at QoS 1: what the broker routes lands in `inbox`. */
export async function watchedBroker(t: TestContext, filter = '#'): Promise<{ port: number; url: string; inbox: Inbox }> {
  const broker = await startBroker()
  t.after(() => broker.close())
  const watcher = await mqttClient(t, broker.url, { protocolVersion: 4 })
  const inbox = new Inbox(watcher)
  await watcher.subscribeAsync(filter, { qos: 1 })
  return { port: broker.port, url: broker.url, inbox }
}

/** A raw 3.1.1 socket to `port` that has sent nothing yet, destroyed when the test ends. */
export async function openSocket(t: TestContext, port: number): Promise<RawClient> {
  const socket = await RawClient.open(port, 4)
  t.after(() => socket.destroy())
  return socket
}
