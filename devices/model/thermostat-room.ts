import type { Mode } from '../../common/contract/mode.js'
import type { ModelClock } from './model-clock.js'
import { OutsideTemperature } from './outside-temperature.js'
import { RoomModel, randomRoomParameters } from './room-model.js'
import type { SeededRandom } from './seeded-random.js'
import { Sensor } from './sensor.js'

const SETPOINTS = [19, 20, 21, 22]

/** A room's state at start; by default drawn from the device's generator. */
export interface InitialRoom {
  temperature: number
  setpoint: number
  mode?: Mode
}

/**
 * A simulated thermostat's room and sensor, whatever protocol it speaks: the room drawn from `random` (so a
 * seed repeats it), starting at the model time of `now`.
 */
export function createThermostatRoom(
  random: SeededRandom,
  clock: ModelClock,
  now: number,
  initial?: InitialRoom
): { model: RoomModel; sensor: Sensor } {
  const start = initial ?? { temperature: random.between(16, 21), setpoint: SETPOINTS[Math.floor(random.next() * SETPOINTS.length)]! }
  const model = new RoomModel(randomRoomParameters(random), new OutsideTemperature(), {
    time: clock.modelAt(now),
    temperature: start.temperature,
    setpoint: start.setpoint,
    mode: start.mode ?? 'heat'
  })
  return { model, sensor: new Sensor(random) }
}
