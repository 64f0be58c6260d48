import { hostname } from 'node:os'
import { pathText } from '../../../common/config/config-problem.js'
import { bridgeDirectives } from './bridge-directives.js'
import { bridgeEntry } from './bridge-entry.js'
import { globalDirectives } from './global-directives.js'
import { listenerDirectives } from './listener-directives.js'
import { MosquittoConfError, type MosquittoDirective, type Origin } from './mosquitto-conf-lines.js'
import { type DirectiveHandler, type ListenerDraft, MosquittoConversion, type TlsKey } from './mosquitto-conversion.js'
import { isPluginOption, otherDirectives } from './other-directives.js'

/** A Mosquitto configuration as ours: the config (the YAML file's keys), where each key came from, and the notes. */
export interface ConvertedConf {
  config: Record<string, unknown>
  /** The Mosquitto line behind each key, by its path as problems print it (`listeners[1].cert`, `max_inflight`). */
  origins: Map<string, Origin>
  /** What works differently from Mosquitto, or was skipped, and why; no origin for what the file left unsaid. */
  notes: Array<{ origin: Origin | undefined; text: string }>
}

/** Thermopost's largest max_connections, standing for Mosquitto's -1 (unlimited). */
const UNLIMITED_CONNECTIONS = 10_000_000

/**
 * Maps Mosquitto directives (in file order, includes expanded) to our configuration. Throws a
 * MosquittoConfError listing every line that cannot be honoured, each with the file, line and why. `host` makes
 * Mosquitto's default client id of a bridge at the remote, as Mosquitto on this machine would.
 */
export function convertMosquittoConf(directives: readonly MosquittoDirective[], host: string = hostname()): ConvertedConf {
  const conversion = new MosquittoConversion()
  for (const directive of directives) {
    if (directive.name === 'connection') startBridge(directive, conversion)
    else if (Object.hasOwn(bridgeDirectives, directive.name)) {
      const bridge = conversion.bridges.at(-1)
      if (bridge !== undefined) bridgeDirectives[directive.name]!(directive, conversion, bridge)
      else conversion.refuse(directive, `${directive.name} is a bridge's: it belongs after a connection line`)
    } else {
      const handler = handlerOf(directive.name)
      if (handler !== undefined) handler(directive, conversion)
      else if (isPluginOption(directive.name)) conversion.refuse(directive, `${directive.name}: thermopost loads no Mosquitto plugins`)
      else conversion.refuse(directive, `unknown directive '${directive.name}'`)
    }
  }
  const converted: ConvertedConf = { config: {}, origins: new Map(), notes: [] }
  const put = (path: Array<string | number>, value: unknown, origin: Origin | undefined): void => {
    if (path.length === 1) converted.config[path[0] as string] = value
    if (origin !== undefined) converted.origins.set(pathText(path), origin)
  }
  const drafts = listenersOf(conversion, converted)
  securityOf(conversion, drafts, put)
  for (const [key, { value, origin }] of conversion.options) put([key], value, origin)
  if (!conversion.options.has('store')) {
    put(['store'], 'memory', undefined)
    converted.notes.push({
      origin: undefined,
      text: 'no persistence line: Mosquitto keeps nothing across restarts, so this is store: memory'
    })
  } else if (conversion.options.get('store')?.value === 'sqlite' && !conversion.options.has('data_dir')) {
    put(['data_dir'], '.', undefined) // Mosquitto's persistence_location defaults to the current directory
  }
  maxConnectionsOf(conversion, drafts, put)
  converted.config.listeners = drafts.map((draft, index) => listenerEntry(draft, index, conversion, converted))
  if (conversion.bridges.length > 0)
    converted.config.bridges = conversion.bridges.map((bridge, index) => bridgeEntry(bridge, index, host, conversion, converted.origins))
  if (conversion.problems.length > 0) {
    // In the order Mosquitto reads the lines, whichever check found them.
    const order = (origin: Origin): number => directives.indexOf(origin as MosquittoDirective)
    throw new MosquittoConfError([...conversion.problems].sort((a, b) => order(a.origin) - order(b.origin)))
  }
  converted.notes.unshift(...conversion.notes)
  return converted
}

/** `connection <name>`: the lines after it configure this bridge, up to the next `connection`. */
function startBridge(directive: MosquittoDirective, conversion: MosquittoConversion): void {
  if (directive.words.length !== 1) {
    conversion.refuse(directive, 'connection takes one name')
    return
  }
  conversion.bridges.push({ origin: directive, name: directive.rest, keys: new Map(), topics: [], tls: false })
}

function handlerOf(name: string): DirectiveHandler | undefined {
  for (const table of [listenerDirectives, globalDirectives, otherDirectives]) if (Object.hasOwn(table, name)) return table[name]
  return undefined
}

/**
 * The listeners Mosquitto would open: every `listener`, plus the default one when `port` or `bind_address`
 * asks for it. With none at all Mosquitto 2 runs in local-only mode: port 1883 on the loopback address.
 */
function listenersOf(conversion: MosquittoConversion, converted: ConvertedConf): ListenerDraft[] {
  if (isLocalOnly(conversion)) {
    converted.notes.push({
      origin: undefined,
      text: 'no listener: like Mosquitto 2, only this machine may connect, on port 1883, and anonymous clients are allowed'
    })
    return [{ ...conversion.defaultListener, host: conversion.defaultListener.host ?? '127.0.0.1' }]
  }
  return [...(conversion.defaultListenerAsked === undefined ? [] : [conversion.defaultListener]), ...conversion.listeners]
}

/** Mosquitto 2's local-only mode: no listener configured at all. */
function isLocalOnly(conversion: MosquittoConversion): boolean {
  return conversion.listeners.length === 0 && conversion.defaultListenerAsked === undefined
}

type Put = (path: Array<string | number>, value: unknown, origin: Origin | undefined) => void

function securityOf(conversion: MosquittoConversion, drafts: ListenerDraft[], put: Put): void {
  const perListener = conversion.perListenerSettings?.value === true
  if (!perListener) {
    const anonymous = conversion.security.allow_anonymous
    // Mosquitto 2's default: no anonymous clients, unless in local-only mode.
    put(['allow_anonymous'], anonymous?.value ?? isLocalOnly(conversion), anonymous?.origin)
  }
  for (const key of ['password_file', 'acl_file'] as const) {
    const settings = perListener ? drafts.map((draft) => draft.security[key] ?? conversion.security[key]) : [conversion.security[key]]
    const values = new Set(settings.map((setting) => setting?.value))
    if (values.size > 1) {
      const per = drafts.map((draft, index) => `${draft.origin?.line ?? 'default listener'}: ${settings[index]?.value ?? 'none'}`)
      conversion.refuse(
        conversion.perListenerSettings!.origin,
        `per_listener_settings true with a different ${key} per listener (line ${per.join(', line ')}): thermopost has one ${key} for all listeners`
      )
      continue
    }
    const setting = settings.find((one) => one !== undefined)
    if (setting !== undefined) put([key], setting.value, setting.origin)
  }
}

/** Mosquitto limits connections per listener; ours is one limit for the broker, the same thing only with one listener. */
function maxConnectionsOf(conversion: MosquittoConversion, drafts: ListenerDraft[], put: Put): void {
  const limited = drafts.filter((draft) => draft.maxConnections !== undefined)
  if (limited.length === 0) return
  if (drafts.length > 1 && limited.some((draft) => draft.maxConnections!.value !== -1)) {
    for (const draft of limited)
      conversion.refuse(
        draft.maxConnections!.origin,
        `max_connections limits one of ${drafts.length} listeners; thermopost's max_connections counts the clients of all listeners together`
      )
    return
  }
  const { value, origin } = limited[0]!.maxConnections!
  put(['max_connections'], value === -1 ? UNLIMITED_CONNECTIONS : value, origin)
}

const tlsOnly: readonly TlsKey[] = ['cafile', 'crlfile', 'require_certificate', 'use_identity_as_username']

function listenerEntry(
  draft: ListenerDraft,
  index: number,
  conversion: MosquittoConversion,
  converted: ConvertedConf
): Record<string, unknown> {
  const origin = draft.origin ?? conversion.defaultListenerAsked
  const path = ['listeners', index]
  if (origin !== undefined) converted.origins.set(pathText(path), origin)
  const { cert, key } = draft.tls
  const tls = cert !== undefined || key !== undefined
  if (tls && (cert === undefined || key === undefined)) {
    conversion.refuse((cert ?? key)!.origin, 'TLS needs both certfile and keyfile on the listener')
  }
  for (const name of tlsOnly) {
    const setting = draft.tls[name]
    if (!tls && setting !== undefined)
      conversion.refuse(setting.origin, `${setting.origin.text.split(/\s/)[0]} is for a TLS listener: add certfile and keyfile`)
  }
  const protocol = draft.websockets ? (tls ? 'wss' : 'ws') : tls ? 'mqtts' : 'mqtt'
  // No address: Mosquitto listens on every interface, IPv4 and IPv6; '::' is both on Linux.
  const host = draft.host ?? (draft.socketDomain === 'ipv4' ? '0.0.0.0' : '::')
  const entry: Record<string, unknown> = { protocol, host, port: draft.port }
  if (draft.websockets) {
    entry.path = '/mqtt'
    converted.notes.push({ origin, text: 'WebSocket clients connect on the path /mqtt (Mosquitto takes any path)' })
  }
  if (conversion.perListenerSettings?.value === true) {
    const anonymous = draft.security.allow_anonymous ?? conversion.security.allow_anonymous
    entry.allow_anonymous = anonymous?.value ?? isLocalOnly(conversion)
    if (anonymous !== undefined) converted.origins.set(pathText([...path, 'allow_anonymous']), anonymous.origin)
  }
  for (const [name, setting] of Object.entries(draft.tls)) {
    entry[name] = setting.value
    converted.origins.set(pathText([...path, name]), setting.origin)
  }
  return entry
}
