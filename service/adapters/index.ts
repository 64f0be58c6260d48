import type { Adapter } from './adapter.js'
import { createEsphomeAdapter, type EsphomeOptions } from './esphome.js'
import { createHomieAdapter, type HomieOptions } from './homie.js'
import { createShellyAdapter, type ShellyOptions } from './shelly.js'
import { createTasmotaAdapter } from './tasmota.js'
import { createThermopostAdapter } from './thermopost.js'
import { createZigbee2mqttAdapter, type Zigbee2mqttOptions } from './zigbee2mqtt.js'

/** Per-format settings; every one has a default that matches the format's own default. */
export interface AdapterOptions {
  shelly?: ShellyOptions
  zigbee2mqtt?: Zigbee2mqttOptions
  esphome?: EsphomeOptions
  homie?: HomieOptions
}

const factories: Record<string, (options: AdapterOptions) => Adapter> = {
  thermopost: () => createThermopostAdapter(),
  tasmota: () => createTasmotaAdapter(),
  shelly: (options) => createShellyAdapter(options.shelly),
  zigbee2mqtt: (options) => createZigbee2mqttAdapter(options.zigbee2mqtt),
  esphome: (options) => createEsphomeAdapter(options.esphome),
  homie: (options) => createHomieAdapter(options.homie)
}

/** Every adapter's name, in the order the dispatcher asks them. */
export const adapterNames: readonly string[] = Object.freeze(Object.keys(factories))

export class UnknownAdapterError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `unknown adapter${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `'${name}'`).join(', ')}; the adapters are ${adapterNames.join(', ')}`
    )
    this.name = 'UnknownAdapterError'
  }
}

/**
 * The enabled adapters, fresh (each keeps its own metadata): all of them by default, else the ones
 * named, in `adapterNames` order whatever the order of `names`.
 */
export function createAdapters(names: readonly string[] = adapterNames, options: AdapterOptions = {}): Adapter[] {
  const unknown = names.filter((name) => !Object.hasOwn(factories, name))
  if (unknown.length > 0) throw new UnknownAdapterError(unknown)
  return adapterNames.filter((name) => names.includes(name)).map((name) => factories[name](options))
}
