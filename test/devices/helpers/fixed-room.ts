import type { ThermostatValues } from '../../../devices/sparkplug/edge-node-payloads.js'
import type { EdgeDevice } from '../../../devices/sparkplug/sparkplug-edge-node.js'

/** A device behind a Sparkplug edge node whose values the test sets; it takes setpoints up to 30 °C. */
export class FixedRoom implements EdgeDevice {
  values: ThermostatValues = { temperature: 20.5, setpoint: 21, heating: true }

  constructor(readonly name: string) {}

  current(): ThermostatValues {
    return { ...this.values }
  }

  writeSetpoint(value: number): boolean {
    if (value > 30) return false
    this.values.setpoint = value
    return true
  }
}
