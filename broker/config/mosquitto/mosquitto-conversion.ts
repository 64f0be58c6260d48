import type { MosquittoDirective, Origin } from './mosquitto-conf-lines.js'

/** A value and the line that set it. */
export interface Setting<T> {
  value: T
  origin: Origin
}

/** The settings Mosquitto keeps per listener when per_listener_settings is true, and globally otherwise. */
export interface Security {
  allow_anonymous?: Setting<boolean>
  password_file?: Setting<string>
  acl_file?: Setting<string>
}

/** Our TLS keys of a listener, as Mosquitto's certfile, keyfile, cafile, crlfile, ... set them. */
export type TlsKey = 'cert' | 'key' | 'cafile' | 'crlfile' | 'require_certificate' | 'use_identity_as_username'

/** One Mosquitto listener as read so far. */
export interface ListenerDraft {
  /** The `listener` line; undefined for Mosquitto's default listener (the deprecated `port` and `bind_address`). */
  origin: Origin | undefined
  port: number
  host?: string
  websockets: boolean
  socketDomain?: 'ipv4' | 'ipv6'
  tls: Partial<Record<TlsKey, Setting<string | boolean>>>
  security: Security
  maxConnections?: Setting<number>
}

/** One Mosquitto bridge (a `connection` section) as read so far: our keys of its `bridges:` entry, each with its line. */
export interface BridgeDraft {
  /** The `connection` line. */
  origin: Origin
  name: string
  keys: Map<string, Setting<unknown>>
  topics: Array<Setting<Record<string, unknown>>>
  /** The Mosquitto switches that decide more than one of our keys. */
  tls: boolean
  localCleanSession?: Setting<boolean>
  roundRobin?: Setting<boolean>
  notifications?: Setting<boolean>
  tryPrivate?: Setting<boolean>
}

/**
 * A Mosquitto configuration on its way to ours: each directive handler records what it means here, a note
 * where Mosquitto would behave differently in a way that does not matter to clients, or a problem where
 * thermopost cannot do what the line asks. Directives are applied in file order, as Mosquitto does, so
 * `per_listener_settings` and the listener sections affect the lines after them.
 */
export class MosquittoConversion {
  readonly defaultListener: ListenerDraft = { origin: undefined, port: 1883, websockets: false, tls: {}, security: {} }
  /** The `port` or `bind_address` line that starts Mosquitto's default listener next to the `listener` ones. */
  defaultListenerAsked: Origin | undefined
  readonly listeners: ListenerDraft[] = []
  /** The `connection` sections; the directives of a bridge apply to the last one. */
  readonly bridges: BridgeDraft[] = []
  perListenerSettings: Setting<boolean> | undefined
  readonly security: Security = {}
  /** Our top-level config keys (snake_case) with the line each came from. */
  readonly options = new Map<string, Setting<unknown>>()
  readonly notes: Array<{ origin: Origin; text: string }> = []
  readonly problems: Array<{ origin: Origin; text: string }> = []

  /** The listener the lines apply to: the last `listener`, or the default one before any. */
  get listener(): ListenerDraft {
    return this.listeners.at(-1) ?? this.defaultListener
  }

  /** Where allow_anonymous, password_file and acl_file go, as Mosquitto decides it when it reads them. */
  get securityScope(): Security {
    return this.perListenerSettings?.value === true ? this.listener.security : this.security
  }

  set(key: string, value: unknown, origin: Origin): void {
    this.options.set(key, { value, origin })
  }

  note(origin: Origin, text: string): void {
    this.notes.push({ origin, text })
  }

  refuse(origin: Origin, text: string): void {
    this.problems.push({ origin, text })
  }
}

/** What a directive does to the conversion. */
export type DirectiveHandler = (directive: MosquittoDirective, conversion: MosquittoConversion) => void
