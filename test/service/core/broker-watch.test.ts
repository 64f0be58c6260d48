import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrokerStatus } from '../../../service/api/api-types.js'
import { waitFor } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { recordingHistory, startTestService, tempDataDir } from './service-fixture.js'

test("the broker's $SYS figures are kept and sent as throttled broker events", async (t) => {
  const running = await startBroker({ sysInterval: 1 })
  t.after(() => running.close())
  const dataDir = tempDataDir(t)
  const service = await startTestService(t, {
    urls: [running.url],
    dataDir,
    history: recordingHistory(t, dataDir),
    timing: { brokerThrottleMs: 300 }
  })
  const events: BrokerStatus[] = []
  service.live.subscribe((event) => {
    if (event.type === 'broker') events.push(event.broker)
  })

  await waitFor(() => service.broker.status().messagesReceivedPerSecond !== undefined, 'two rounds of $SYS', 4000)
  const status = service.broker.status()
  assert.match(status.version ?? '', /^thermopost /)
  assert.equal(status.clientsConnected, 1)
  assert.equal(typeof status.uptimeSeconds, 'number')
  assert.equal(typeof status.retainedMessages, 'number')
  assert.ok(status.messagesReceivedPerSecond! >= 0)
  // Two rounds of about eleven topics each, but one event per round at most.
  await waitFor(() => events.length >= 1, 'a broker event')
  assert.ok(events.length <= 3, `${events.length} events`)
})
