/**
 * Temperature units as devices write them, to degrees Celsius (the unit of every Reading).
 * Converted values are rounded to 0.01 °C: finer than any of these sensors, and it keeps
 * 70.5 °F from becoming 21.388888888888889.
 */

const unitPattern = /^\s*(?:°|º|deg)?\s*([CFK])\s*$/i

/** Whether `unit` names a temperature unit this module converts. */
export function isTemperatureUnit(unit: string): boolean {
  return unitPattern.test(unit)
}

/** `value` in `unit` as °C, or undefined when `unit` is not a temperature unit. */
export function toCelsius(value: number, unit: string): number | undefined {
  const match = unitPattern.exec(unit)
  if (match === null) return undefined
  switch (match[1].toUpperCase()) {
    case 'C':
      return value
    case 'F':
      return round(((value - 32) * 5) / 9)
    default:
      return round(value - 273.15)
  }
}

/** `celsius` in `unit` (what a device that reports in `unit` takes as a setpoint), or undefined when `unit` is not a temperature unit. */
export function fromCelsius(celsius: number, unit: string): number | undefined {
  const match = unitPattern.exec(unit)
  if (match === null) return undefined
  switch (match[1].toUpperCase()) {
    case 'C':
      return celsius
    case 'F':
      return round((celsius * 9) / 5 + 32)
    default:
      return round(celsius + 273.15)
  }
}

function round(celsius: number): number {
  return Math.round(celsius * 100) / 100
}
