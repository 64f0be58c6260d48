/** Kept per origin, so each service the browser opens remembers its own. */
const LOGGED_IN_KEY = 'thermopost.loggedIn'
const DEVICES_KEY = 'thermopost.knownDevices'
/** Enough for the devices one person opens; the oldest are forgotten first. */
const MAX_DEVICES = 500

/**
 * What this browser remembers between visits (localStorage) so that a page can ask the API for everything at once
 * instead of asking one thing first: whether it was logged in (then the app skips asking `/api/session` before the
 * view's requests, and a 401 still brings the login form), and which devices exist (then a device page asks for the
 * device and its readings at once; for an id never seen, the device alone first, so a wrong link makes one request).
 * A browser that keeps no storage only loses the head start.
 */
export class BrowserMemory {
  private readonly devices: string[]

  constructor(private readonly storage: Storage | undefined = availableStorage()) {
    this.devices = this.read(DEVICES_KEY)
  }

  get loggedIn(): boolean {
    return this.storage?.getItem(LOGGED_IN_KEY) === 'true'
  }

  set loggedIn(value: boolean) {
    this.write(LOGGED_IN_KEY, value ? 'true' : undefined)
  }

  knowsDevice(id: string): boolean {
    return this.devices.includes(id)
  }

  rememberDevices(ids: readonly string[]): void {
    const fresh = ids.filter((id) => !this.devices.includes(id))
    if (fresh.length === 0) return
    this.devices.push(...fresh)
    this.devices.splice(0, Math.max(0, this.devices.length - MAX_DEVICES))
    this.write(DEVICES_KEY, JSON.stringify(this.devices))
  }

  forgetDevice(id: string): void {
    const index = this.devices.indexOf(id)
    if (index < 0) return
    this.devices.splice(index, 1)
    this.write(DEVICES_KEY, JSON.stringify(this.devices))
  }

  private read(key: string): string[] {
    try {
      const value: unknown = JSON.parse(this.storage?.getItem(key) ?? '[]')
      return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []
    } catch {
      return []
    }
  }

  /** A full or refused storage is not the page's failure: it only remembers less. */
  private write(key: string, value: string | undefined): void {
    try {
      if (value === undefined) this.storage?.removeItem(key)
      else this.storage?.setItem(key, value)
    } catch {
      // nothing to do: the next visit asks the API first, as a first visit does
    }
  }
}

/** localStorage, unless the browser refuses it (some private modes throw on access). */
function availableStorage(): Storage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}
