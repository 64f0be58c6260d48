import type { ReadingMessage } from '../../../common/contract/reading-message.js'

/** A thermostat's reading with every field, for the contract's round trips. */
export const thermostatReading: ReadingMessage = {
  time: 1_767_225_600_123,
  temperature: 20.37,
  setpoint: 21.5,
  heating: true,
  mode: 'heat'
}
