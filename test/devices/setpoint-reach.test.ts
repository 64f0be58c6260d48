import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeCommand } from '../../common/contract/command.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { commandTopic, deviceTopic } from '../../common/contract/topics.js'
import { ModelClock } from '../../devices/model/model-clock.js'
import { startBroker } from '../helpers/broker.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** The whole device with a time scale: a setpoint sent over MQTT is reached when the model says it will be. */

const READING = deviceTopic('home', 'room-1', 'reading')
const ACK = deviceTopic('home', 'room-1', 'ack')
const TIME_SCALE = 2400

test(`at --time-scale ${TIME_SCALE}, a new setpoint is reached within ±0.5 °C in the predicted time ±20 %, and held`, async (t) => {
  const broker = await startBroker()
  const observer = await watch(t, broker.url, [READING, ACK])
  const clock = new ModelClock(TIME_SCALE)
  const thermostat = startThermostat(t, { urls: [broker.url], clock, interval: 0.05, initial: { temperature: 17, setpoint: 17 } })
  t.after(() => broker.close())
  await waitFor(() => observer.inbox.all.some((m) => m.topic === READING), 'a first reading')

  let predicted = NaN
  let commandModelTime = NaN
  observer.client.on('message', (topic) => {
    if (topic !== ACK) return
    // The model applied the setpoint just now; predict from that state, before it moves on.
    commandModelTime = thermostat.model.time
    predicted = thermostat.model.predictSecondsToReach(21)
  })
  await observer.client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), encodeCommand('warm-up', 21), { qos: 1 })
  await waitFor(() => !Number.isNaN(predicted), 'the ack')
  assert.ok(predicted > 1800 && predicted < 4 * 3600, `a plausible time to heat 4 °C: ${predicted} s`)
  const predictedWallMs = clock.wallMsFor(predicted)
  // Wait for 1.5 × the prediction, in wall-clock time.
  await waitFor(
    () =>
      observer.inbox.all.some(
        (m) => m.topic === READING && clock.modelAt(decodeReading(m.payload).time) > commandModelTime + predicted * 1500
      ),
    'readings well past the predicted time',
    predictedWallMs * 2 + 5000
  )

  const series = observer.inbox.all
    .filter((m) => m.topic === READING)
    .map((m) => decodeReading(m.payload))
    .map((reading) => ({ seconds: (clock.modelAt(reading.time) - commandModelTime) / 1000, temperature: reading.temperature }))
    .filter(({ seconds }) => seconds >= 0)
  const reached = series.find(({ temperature }) => temperature >= 21 - 0.05)
  assert.ok(reached !== undefined, 'the setpoint was reached')
  const error = (reached.seconds - predicted) / predicted
  assert.ok(
    Math.abs(error) <= 0.2,
    `reached after ${reached.seconds.toFixed(0)} model s, predicted ${predicted.toFixed(0)} s (${(error * 100).toFixed(1)} %)`
  )
  const after = series.filter(({ seconds }) => seconds >= reached.seconds)
  assert.ok(after.length >= 5)
  for (const { seconds, temperature } of after)
    assert.ok(Math.abs(temperature - 21) <= 0.5, `${temperature} °C at ${seconds.toFixed(0)} s stays within 0.5 °C of 21`)
})
