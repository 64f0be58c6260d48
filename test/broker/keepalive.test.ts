import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import type { RawClient } from '../helpers/raw-client.js'
import { asDisconnect, type ProtocolVersion, rawSession } from '../helpers/session-clients.js'
import { sleep } from '../helpers/silence.js'

/**
 * Keepalive: the broker closes a connection silent for 1.5 × the keepalive [MQTT-3.1.2-24 (3.1.1), MQTT-3.1.2-22 (5.0)],
 * any packet counts as life, and the 5.0 Server Keep Alive replaces the client's value.
 */

/**
 * Asserts the connection stays open for `openMs`, then closes within `closeWithinMs` more. 5.0 may send
 * DISCONNECT 0x8D Keep Alive timeout first; nothing else is allowed.
 */
async function expectKeepaliveClose(client: RawClient, version: ProtocolVersion, openMs: number, closeWithinMs: number): Promise<void> {
  assert.equal(await client.waitClosed(openMs), false, `still open after ${openMs} ms`)
  assert.equal(await client.waitClosed(closeWithinMs), true, `closed within ${openMs + closeWithinMs} ms`)
  const sent = client.pending()
  if (version === 5 && sent.length > 0) {
    assert.equal(sent.length, 1)
    assert.equal(asDisconnect(sent[0]!).reasonCode, 0x8d)
  } else {
    assert.deepEqual(
      sent.map((p) => p.cmd),
      []
    )
  }
}

/** Sends `send` every 400 ms for `ms`, then asserts the connection is still open. */
async function keepBusy(client: RawClient, ms: number, send: () => void): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    send()
    await sleep(400)
    assert.equal(client.isClosed, false, 'connection still open')
  }
}

describe('keepalive', { concurrency: true }, () => {
  for (const version of [4, 5] as const) {
    const label = version === 5 ? '5.0' : '3.1.1'

    test(`${label}: keepalive 1 s and silence: closed after about 1.5 s, not before 1 s`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const { client } = await rawSession(t, broker.port, version, { keepalive: 1 })
      await expectKeepaliveClose(client, version, 1000, 2000)
    })

    test(`${label}: PINGREQ gets PINGRESP and keeps the connection alive [MQTT-3.12.4-1]`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const { client } = await rawSession(t, broker.port, version, { keepalive: 1 })
      let pings = 0
      await keepBusy(client, 2400, () => {
        client.send({ cmd: 'pingreq' }, version)
        pings += 1
      })
      const answers = client.pending().map((p) => p.cmd)
      assert.deepEqual(answers, Array(pings).fill('pingresp'))
    })

    test(`${label}: any packet counts as life, not only PINGREQ`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const { client } = await rawSession(t, broker.port, version, { keepalive: 1 })
      await keepBusy(client, 2400, () =>
        client.send(
          {
            cmd: 'publish',
            topic: 'alive/by/publish',
            payload: Buffer.from('x'),
            qos: 0,
            dup: false,
            retain: false
          },
          version
        )
      )
      assert.deepEqual(
        client.pending().map((p) => p.cmd),
        []
      )
    })

    test(`${label}: keepalive 0 turns the mechanism off`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const { client } = await rawSession(t, broker.port, version, { keepalive: 0 })
      assert.equal(await client.waitClosed(2000), false, 'still open after 2 s of silence')
    })
  }

  test('5.0: Server Keep Alive caps keepalive 60 to 1 (maxKeepalive) and the broker enforces it', async (t) => {
    const broker = await startBroker({ maxKeepalive: 1 })
    t.after(() => broker.close())
    const { client, connack } = await rawSession(t, broker.port, 5, { keepalive: 60 })
    assert.equal(connack.properties?.serverKeepAlive, 1)
    await expectKeepaliveClose(client, 5, 1000, 2000)
  })

  test('5.0: Server Keep Alive replaces keepalive 0 when a cap is set, and the broker enforces it', async (t) => {
    const broker = await startBroker({ maxKeepalive: 1 })
    t.after(() => broker.close())
    const { client, connack } = await rawSession(t, broker.port, 5, { keepalive: 0 })
    assert.equal(connack.properties?.serverKeepAlive, 1)
    await expectKeepaliveClose(client, 5, 1000, 2000)
  })

  test('3.1.1: a client asking for keepalive 60 is held to 1.5 × maxKeepalive 1', async (t) => {
    const broker = await startBroker({ maxKeepalive: 1 })
    t.after(() => broker.close())
    const { client } = await rawSession(t, broker.port, 4, { keepalive: 60 })
    await expectKeepaliveClose(client, 4, 1000, 2000)
  })
})
