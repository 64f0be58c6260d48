import { execFileSync } from 'node:child_process'
import { cpus, release } from 'node:os'
import { BROKER_CORE } from './brokers.js'
import { NATIVE_PROGRAMS } from './native-build.js'

/** What a bench's figures were measured on: ratios between brokers move with it (see native/syscall-cost.c). */
export interface Machine {
  cpu: string | undefined
  cores: number
  kernel: string
  node: string
  /** Nanoseconds one system call takes on the brokers' core. */
  syscallNs: number
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    syscallNs: systemCallNs()
  }
}

/** Measured where the brokers run, pinned as they are (native/syscall-cost.c, built by buildNativePrograms). */
function systemCallNs(): number {
  const printed = execFileSync('taskset', ['-c', String(BROKER_CORE), NATIVE_PROGRAMS.syscallCost], { encoding: 'utf8' })
  const ns = Number(printed.trim())
  if (!Number.isFinite(ns) || ns <= 0) throw new Error(`syscall-cost printed ${JSON.stringify(printed)}, not a time`)
  return ns
}

export function machineLine(machine: Machine): string {
  return `Machine: ${machine.cpu ?? 'unknown CPU'}, ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}; one system call on the brokers' core: ${machine.syscallNs} ns.`
}
