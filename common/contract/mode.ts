/** A thermostat's mode, in readings and in `mode` commands: `off` never heats, `heat` follows the setpoint. */
export type Mode = 'off' | 'heat'
