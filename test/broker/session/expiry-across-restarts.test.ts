import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectRaw } from '../../helpers/flow-clients.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { type StoreKind, startRestartableBroker } from './restartable-broker.js'
import { connectProperties, leave } from './resume-scenario.js'

const EXPIRY_S = 3

/*
 * A session's Session Expiry Interval counts from when its connection ended [MQTT-3.1.2-23], however often the
 * broker restarts meanwhile: a restart must not write the session back as if it had just gone offline.
 */
for (const store of ['memory', 'sqlite'] as const satisfies readonly StoreKind[]) {
  test(`${store}: an offline session expires on time across two restarts [MQTT-3.1.2-23]`, async (t) => {
    const broker = await startRestartableBroker(t, store)
    const clientId = uniqueId('expiry-restarts')
    const first = await connectRaw(t, broker.port, 5, { clientId, clean: false, ...connectProperties(EXPIRY_S) })
    const leftAt = Date.now()
    await leave(first)
    await sleep(2000)
    await broker.restart()
    await sleep(200)
    await broker.restart()
    await sleep(Math.max(0, leftAt + EXPIRY_S * 1000 + 600 - Date.now()))
    const late = await connectRaw(t, broker.port, 5, { clientId, clean: false, ...connectProperties(EXPIRY_S) })
    assert.equal(late.connack.sessionPresent, false, `still there ${Date.now() - leftAt} ms after its connection ended`)
    await leave(late)
  })
}
