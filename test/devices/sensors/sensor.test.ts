import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeSensor, SensorReadError, sensorId } from '../../../devices/sensors/sensor.js'

test('a sensor retries a failed attempt, counts it, and returns the next good reading', async () => {
  const answers: Array<number | Error> = [
    new SensorReadError('crc'),
    21.5,
    new SensorReadError('a'),
    new SensorReadError('b'),
    new SensorReadError('c')
  ]
  const sensor = makeSensor({
    id: 'x',
    label: 'x',
    kind: 'w1',
    model: 'w1/DS18B20',
    source: '/x',
    attempts: 3,
    readOnce: async () => {
      const answer = answers.shift()!
      if (answer instanceof Error) throw answer
      return answer
    }
  })
  assert.equal(await sensor.read(), 21.5)
  assert.equal(sensor.failures, 1)
  await assert.rejects(sensor.read(), { message: 'c' }, "the last attempt's error is the one reported")
  assert.equal(sensor.failures, 4)
})

test('sensor ids are safe topic levels: lower case, no spaces, slashes or wildcards', () => {
  assert.equal(sensorId('hwmon', 'Coretemp', 'coretemp.0', 'temp1'), 'hwmon-coretemp-coretemp.0-temp1')
  assert.equal(sensorId('thermal', 'zone1', 'SEN #1/+ main'), 'thermal-zone1-sen-1-main')
})
