import { readFileSync } from 'node:fs'

/**
 * The soft limit on open files (`ulimit -n`), from /proc/self/limits; undefined where there is none to
 * read. Node cannot raise it itself, so the simulator checks it before opening one socket per device.
 */
export function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (match === null) return undefined
    return match[1] === 'unlimited' ? Infinity : Number(match[1])
  } catch {
    return undefined
  }
}
