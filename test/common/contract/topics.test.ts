import assert from 'node:assert/strict'
import { test } from 'node:test'
import { commandFilter, commandTopic, deviceTopic, parseDeviceTopic } from '../../../common/contract/topics.js'

/** The device contract's topics: built and parsed back. */

test('topics are built and parsed back; anything else is not a device topic', () => {
  assert.equal(deviceTopic('home', 'kitchen', 'reading'), 'thermopost/home/kitchen/reading')
  assert.equal(commandTopic('home', 'kitchen', 'setpoint'), 'thermopost/home/kitchen/cmd/setpoint')
  assert.equal(commandFilter('home', 'kitchen'), 'thermopost/home/kitchen/cmd/+')
  assert.deepEqual(parseDeviceTopic('thermopost/home/kitchen/status'), { site: 'home', device: 'kitchen', kind: 'status' })
  assert.deepEqual(parseDeviceTopic('thermopost/home/kitchen/cmd/mode'), { site: 'home', device: 'kitchen', kind: 'cmd', command: 'mode' })
  for (const topic of [
    'thermopost/home/kitchen',
    'thermopost/home/kitchen/other',
    'other/home/kitchen/reading',
    'thermopost//kitchen/reading',
    'thermopost/home/kitchen/reading/x',
    'thermopost/home/kitchen/cmd/'
  ]) {
    assert.equal(parseDeviceTopic(topic), undefined, topic)
  }
})
