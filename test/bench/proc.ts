import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Kernel clock ticks per second: the unit of utime/stime in /proc/PID/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())

/** CPU seconds (user + system, all threads) the process has used since it started. */
export function cpuSeconds(pid: number | 'self'): number {
  const { user, system } = cpuTimes(pid)
  return user + system
}

/** The process's CPU seconds since it started, all threads: in its own code (user) and in the kernel on its behalf (system). */
export function cpuTimes(pid: number | 'self'): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses, so count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): utime and stime, fields 14 and 15, are at 11 and 12.
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS }
}

/** Resident set size in KB, as VmRSS in /proc/PID/status. */
export function rssKb(pid: number): number {
  return statusKb(pid, 'VmRSS')
}

/** The highest resident set size the process has had, in KB (VmHWM). */
export function peakRssKb(pid: number): number {
  return statusKb(pid, 'VmHWM')
}

function statusKb(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no ${field} for pid ${pid}`)
  return Number(match[1])
}
