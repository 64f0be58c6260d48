import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OutsideTemperature } from '../../../devices/model/outside-temperature.js'
import { RoomModel, randomRoomParameters } from '../../../devices/model/room-model.js'
import { SeededRandom } from '../../../devices/model/seeded-random.js'
import { Sensor } from '../../../devices/model/sensor.js'

/** The room model on its own: prediction against the stepped, controlled, noisy simulation. */

const MIDNIGHT = Date.UTC(2026, 0, 15)

function room(seed: number, temperature = 17, setpoint = 17): { model: RoomModel; sensor: Sensor } {
  const random = new SeededRandom(seed)
  const model = new RoomModel(randomRoomParameters(random), new OutsideTemperature(), {
    time: MIDNIGHT,
    temperature,
    setpoint,
    mode: 'heat'
  })
  return { model, sensor: new Sensor(random) }
}

/** Sensor readings every `stepSeconds` of model time for `seconds`, as [seconds since start, °C]. */
function readings(model: RoomModel, sensor: Sensor, seconds: number, stepSeconds = 60): Array<[number, number]> {
  const start = model.time
  const out: Array<[number, number]> = []
  for (let t = stepSeconds; t <= seconds; t += stepSeconds) {
    model.advanceTo(start + t * 1000)
    out.push([t, sensor.read(model.temperature)])
  }
  return out
}

for (const seed of [1, 2, 3]) {
  test(`room ${seed}: a new setpoint is reached within ±0.5 °C in the predicted time ±20 %, and held there`, () => {
    const { model, sensor } = room(seed)
    model.setSetpoint(21)
    const predicted = model.predictSecondsToReach(21)
    assert.ok(predicted > 600 && predicted < 6 * 3600, `a plausible heating time, not ${predicted} s`)
    const series = readings(model, sensor, predicted * 2)
    const reached = series.find(([, celsius]) => celsius >= 21 - 0.05)
    assert.ok(reached !== undefined, 'the setpoint is reached')
    assert.ok(Math.abs(reached[0] - predicted) <= 0.2 * predicted, `reached after ${reached[0]} s, predicted ${predicted.toFixed(0)} s`)
    const after = series.filter(([t]) => t >= reached[0])
    assert.ok(after.length > 10)
    for (const [t, celsius] of after) assert.ok(Math.abs(celsius - 21) <= 0.5, `${celsius} °C at ${t} s is within 0.5 °C of 21`)
  })
}

test('the same seed gives the same room and the same readings', () => {
  const a = room(42)
  const b = room(42)
  const c = room(43)
  a.model.setSetpoint(22)
  b.model.setSetpoint(22)
  c.model.setSetpoint(22)
  const seriesA = readings(a.model, a.sensor, 3600)
  assert.deepEqual(readings(b.model, b.sensor, 3600), seriesA)
  assert.notDeepEqual(readings(c.model, c.sensor, 3600), seriesA)
})

test('hysteresis: the heater goes on below setpoint − 0.25 °C and off above setpoint + 0.25 °C', () => {
  const { model } = room(7, 20.9, 21)
  assert.equal(model.heating, false, 'inside the band, off stays off')
  model.setSetpoint(21.2)
  assert.equal(model.heating, true, '0.3 °C under the setpoint turns it on')
  let maximum = model.temperature
  for (let minute = 1; minute < 240; minute++) {
    model.advanceTo(MIDNIGHT + minute * 60_000)
    maximum = Math.max(maximum, model.temperature)
  }
  assert.ok(maximum >= 21.45 && maximum < 21.6, `it overshoots to the top of the band, about 21.45 °C, not ${maximum}`)
  assert.ok(model.temperature > 20.9, `and keeps the room in the band: ${model.temperature}`)
})

test('mode off: the room only cools, and a higher setpoint is never reached', () => {
  const { model } = room(9, 21, 21)
  model.setMode('off')
  model.setSetpoint(25)
  assert.equal(model.heating, false)
  assert.equal(model.predictSecondsToReach(25), Infinity)
  const cooling = model.predictSecondsToReach(19)
  model.advanceTo(MIDNIGHT + cooling * 1000)
  assert.ok(Math.abs(model.temperature - 19) < 0.01, `coasts to 19 °C in the predicted ${cooling} s: ${model.temperature}`)
})

test('the sensor reports in steps of its resolution', () => {
  const sensor = new Sensor(new SeededRandom(5), 0.05, 0.1)
  for (let i = 0; i < 100; i++) {
    const value = sensor.read(20 + i / 37)
    assert.equal(value, Number(value.toFixed(1)))
  }
})
