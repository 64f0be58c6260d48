import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { pino } from 'pino'
import { Broker } from '../../../broker/broker.js'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import {
  assertBrokerAlive,
  expectClosedSilently,
  expectDisconnect,
  mqttClient,
  type ProtocolVersion,
  rawSession
} from '../../helpers/session-clients.js'
import { QUIET_MS, sleep } from '../../helpers/silence.js'

/**
 * Packets the fuzzer (fuzz.test.ts) found mishandled, reduced to their bytes. Each is sent after a
 * valid CONNECT and must be refused as malformed (5.0: DISCONNECT 0x81; 3.1.1: the connection is
 * closed), without routing anything, without a handler failure in the broker's log, and without
 * disturbing a subscriber to `#`.
 *
 * mqtt-packet's parser reads a missing packet identifier as -1 instead of failing, so a PUBLISH
 * QoS 1/2, PUBREC or PUBREL too short to hold one reaches the handlers with messageId -1.
 */

const findings: Array<{ name: string; hex: string }> = [
  // topic "a", QoS 1, no packet identifier: forwarding its own bytes writes the id past their end
  { name: 'PUBLISH QoS 1 without a packet identifier', hex: '3203000161' },
  { name: 'PUBLISH QoS 2 without a packet identifier', hex: '3403000161' },
  { name: 'PUBLISH QoS 1 with one byte of packet identifier', hex: '320400016107' },
  // the reply (PUBCOMP, PUBREL) cannot be encoded with packet identifier -1
  { name: 'PUBREL without a packet identifier', hex: '6200' },
  { name: 'PUBREC without a packet identifier', hex: '5000' }
]

/** A broker whose error log is kept: a handler that threw is caught and only logged. */
async function loggingBroker(t: TestContext): Promise<{ url: string; port: number; errors: string[] }> {
  const errors: string[] = []
  const logger = pino(
    { level: 'error' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; err?: { stack?: string } }
        errors.push(`${entry.msg}: ${entry.err?.stack ?? ''}`)
      }
    }
  )
  const broker = new Broker({}, { logger })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { url: `mqtt://127.0.0.1:${port}`, port, errors }
}

for (const version of [4, 5] as ProtocolVersion[]) {
  describe(`fuzz findings, MQTT ${version === 5 ? '5.0' : '3.1.1'}`, () => {
    for (const { name, hex } of findings) {
      test(`${name} (${hex}) is refused as malformed and routes nothing`, async (t) => {
        const { url, port, errors } = await loggingBroker(t)
        // A 3.1.1 subscriber gets the PUBLISH's own bytes forwarded; a 5.0 one a re-encoded copy.
        const watchers = await Promise.all(
          [4, 5].map(async (v) => {
            const client = await mqttClient(t, url, { protocolVersion: v as 4 | 5 })
            const inbox = new Inbox(client)
            await client.subscribeAsync('#', { qos: 2 })
            return { client, inbox }
          })
        )

        const { client: raw } = await rawSession(t, port, version)
        raw.sendBytes(Buffer.from(hex, 'hex'))
        if (version === 5) await expectDisconnect(raw, Reason.MalformedPacket)
        else await expectClosedSilently(raw)

        await sleep(QUIET_MS)
        assert.deepEqual(errors, [], 'the broker logged a handler failure')
        for (const { client, inbox } of watchers) {
          assert.deepEqual(
            inbox.all.map((m) => `${m.topic}=${m.payload.toString('hex')}`),
            [],
            'nothing routed'
          )
          assert.equal(client.connected, true, 'the subscriber stays connected')
        }
        await assertBrokerAlive(t, url)
      })
    }
  })
}
