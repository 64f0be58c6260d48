import assert from 'node:assert/strict'
import { test } from 'node:test'
import { durationSeconds, linkSettingsFrom } from '../../common/link-flags.js'

test('the MQTT password comes from --password, else from THERMOPOST_MQTT_PASSWORD, never needed in argv', (t) => {
  const saved = process.env.THERMOPOST_MQTT_PASSWORD
  t.after(() => {
    if (saved === undefined) delete process.env.THERMOPOST_MQTT_PASSWORD
    else process.env.THERMOPOST_MQTT_PASSWORD = saved
  })
  process.env.THERMOPOST_MQTT_PASSWORD = 'from-env'
  assert.equal(linkSettingsFrom({ username: 'u' }).password, 'from-env')
  assert.equal(linkSettingsFrom({ username: 'u', password: 'from-flag' }).password, 'from-flag')
  delete process.env.THERMOPOST_MQTT_PASSWORD
  assert.throws(() => linkSettingsFrom({ username: 'u' }), /--username and --password \(or THERMOPOST_MQTT_PASSWORD\) go together/)
  assert.deepEqual(linkSettingsFrom({}), { urls: ['mqtt://127.0.0.1:1883'], mqttVersion: 5, username: undefined, password: undefined })
  assert.equal(linkSettingsFrom({ 'mqtt-version': '3.1.1', url: ['mqtts://a:8883', 'ws://b:8083/mqtt'] }).mqttVersion, 4)
})

test('durations read ms, s and m, within their range', () => {
  assert.equal(durationSeconds('500ms', '--x', 0.05), 0.5)
  assert.equal(durationSeconds('2m', '--x', 0.05), 120)
  assert.equal(durationSeconds('7', '--x', 0.05), 7)
  assert.throws(() => durationSeconds('10ms', '--x', 0.05), /--x must be a time of at least 50ms/)
  assert.throws(() => durationSeconds('2d', '--x', 0.05, 86_400), /--x must be a time from 50ms to 86400s/)
})
