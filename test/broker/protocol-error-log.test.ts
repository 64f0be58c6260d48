import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { pino } from 'pino'
import { Broker } from '../../broker/broker.js'
import { ProtocolErrorLog } from '../../broker/protocol/protocol-error-log.js'
import { RawClient } from '../helpers/raw-client.js'
import { expectClosedSilently, expectDisconnect, rawSession } from '../helpers/session-clients.js'

/** A connection closed for what it sent leaves one log line naming it, rate-limited (Mosquitto logs each too). */

interface Line {
  level: number
  msg: string
  address?: string
  clientId?: string
  reasonCode?: string
  notLogged?: number
}

async function loggingBroker(t: TestContext): Promise<{ port: number; lines: Line[] }> {
  const lines: Line[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Line) })
  const broker = new Broker({}, { logger })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { port, lines }
}

const protocolLines = (lines: Line[]): Line[] => lines.filter((line) => line.msg.startsWith('connection closed for a protocol error'))

describe('protocol errors in the log', () => {
  test('a 5.0 PUBLISH with both QoS bits set: one line with the address, client id, reason code and what was wrong', async (t) => {
    const { port, lines } = await loggingBroker(t)
    const { client } = await rawSession(t, port, 5, { clientId: 'bad-qos' })
    client.sendBytes(Buffer.from([0x36, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00]))
    await expectDisconnect(client, 0x81)
    const logged = protocolLines(lines)
    assert.equal(logged.length, 1, JSON.stringify(lines))
    assert.equal(logged[0]!.address, '127.0.0.1')
    assert.equal(logged[0]!.clientId, 'bad-qos')
    assert.equal(logged[0]!.reasonCode, '0x81')
    assert.match(logged[0]!.msg, /QoS/i)
  })

  test('a first packet that is not CONNECT is logged without a client id, then closed', async (t) => {
    const { port, lines } = await loggingBroker(t)
    const client = await RawClient.open(port, 4)
    t.after(() => client.destroy())
    client.sendBytes(Buffer.from([0xc0, 0x00])) // PINGREQ
    await expectClosedSilently(client)
    const logged = protocolLines(lines)
    assert.equal(logged.length, 1, JSON.stringify(lines))
    assert.equal(logged[0]!.clientId, undefined)
    assert.match(logged[0]!.msg, /PINGREQ before CONNECT/)
  })

  test('past maxLines a window, the rest are counted and summed up in one line when the next window opens', () => {
    const logged: Array<{ fields: Record<string, unknown>; msg: string }> = []
    const clock = { now: 0 }
    const log = new ProtocolErrorLog({ warn: (fields: Record<string, unknown>, msg: string) => logged.push({ fields, msg }) } as never, {
      maxLines: 3,
      windowMs: 1000,
      now: () => clock.now
    })
    const report = (): void => log.report({ address: '192.0.2.1', clientId: '', protocolVersion: 4, reasonCode: 0x81, problem: 'x' })
    for (let i = 0; i < 10; i++) report()
    assert.equal(logged.length, 3)
    clock.now = 1000
    report()
    assert.equal(logged.length, 5)
    assert.equal(logged[3]!.fields.notLogged, 7)
    assert.match(logged[4]!.msg, /protocol error \(0x81\): x/)
  })
})
