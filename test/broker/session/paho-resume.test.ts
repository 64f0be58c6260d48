import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runProgram } from '../../helpers/run-program.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { type StoreKind, startRestartableBroker } from './restartable-broker.js'

/**
 * The resume rule with Eclipse Paho's Python client, as the bug was reported: see test/helpers/paho-resume.py.
 * Debian's python3-paho-mqtt is a module of Debian's own /usr/bin/python3, not of whichever python3 is first on PATH.
 */

// Compiled to dist/test/broker/session/: the script stays in the source tree.
const script = fileURLToPath(new URL('../../../../test/helpers/paho-resume.py', import.meta.url))

interface Line {
  event: 'connack' | 'message'
  connection: number
  sessionPresent?: boolean
  reasonCode?: number
  topic?: string
  qos?: number
  payload?: string
}

for (const store of ['memory', 'sqlite'] as StoreKind[]) {
  for (const newExpiry of ['absent', '0', '100']) {
    const kept = newExpiry === '100'
    test(
      `[MQTT-3.1.2-5] Paho Python, ${store}: resumed with Clean Start 0 and Session Expiry ${newExpiry}, it gets Session Present 1 ` +
        `and the queued QoS 1 and 2 messages (one with a Message Expiry Interval), not the QoS 0 one; ` +
        `${kept ? 'the session outlives the connection' : 'the session ends with the connection'}`,
      async (t) => {
        const broker = await startRestartableBroker(t, store)
        const run = await runProgram(t, '/usr/bin/python3', [script, '127.0.0.1', String(broker.port), uniqueId('paho'), newExpiry])
        assert.equal(run.code, 0, run.stderr)
        const lines = run.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Line)
        const connacks = lines
          .filter((line) => line.event === 'connack')
          .map((line) => [line.connection, line.sessionPresent, line.reasonCode])
        assert.deepEqual(connacks, [
          [1, false, 0],
          [2, true, 0],
          [3, kept, 0]
        ])
        const messages = lines
          .filter((line) => line.event === 'message')
          .map((line) => [line.connection, line.topic, line.qos, line.payload])
          .sort()
        assert.deepEqual(messages, [
          [2, 'TopicA/B', 1, 'qos1'],
          [2, 'TopicA/C', 2, 'qos2'],
          [2, 'TopicA/D', 1, 'qos1-expiring']
        ])
      }
    )
  }
}
