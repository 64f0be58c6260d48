import type { SessionOwner } from '../store/store.js'

/** Whether a connection of `username` (undefined: anonymous) may resume a session of `owner`. */
export function isOwnedBy(owner: SessionOwner, username: string | undefined): boolean {
  return owner !== 'unknown' && owner.username === username
}
