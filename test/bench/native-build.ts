import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SOURCES = join(REPO_ROOT, 'test/bench/native')
/** Next to the compiled bench, under dist/ (never committed); built afresh by every bench run. */
const BUILT = fileURLToPath(new URL('./native/', import.meta.url))

/** The bench's native programs, each built from its own sources (below). */
export const NATIVE_PROGRAMS = {
  fanOutReceiver: join(BUILT, 'fanout-receiver'),
  loadGenerator: join(BUILT, 'load-generator'),
  syscallCost: join(BUILT, 'syscall-cost')
} as const

/** bench-native.c is what the MQTT programs share. */
const SOURCES_OF: Record<keyof typeof NATIVE_PROGRAMS, readonly string[]> = {
  fanOutReceiver: ['fanout-receiver.c', 'bench-native.c'],
  // The offline-queue and ingest modes have files of their own: load-generator.c would pass 400 lines with them.
  loadGenerator: ['load-generator.c', 'offline-queue.c', 'ingest.c', 'bench-native.c'],
  syscallCost: ['syscall-cost.c']
}

/**
 * Compiles the native programs with the system's gcc (Debian's; no other toolchain).
 * Built on every run rather than when stale: a second of gcc is nothing next to a bench, and a
 * binary left over from another checkout can never be measured by mistake.
 */
export function buildNativePrograms(programs = Object.keys(NATIVE_PROGRAMS) as Array<keyof typeof NATIVE_PROGRAMS>): void {
  mkdirSync(BUILT, { recursive: true })
  for (const program of programs) {
    const binary = NATIVE_PROGRAMS[program]
    const sources = SOURCES_OF[program].map((source) => join(SOURCES, source))
    // Built aside and renamed into place: test files build in parallel processes, and one may be running the
    // program while another builds it; a rename never shows a half-written file.
    const building = `${binary}.${process.pid}.building`
    try {
      execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', building, ...sources, '-lm'], {
        stdio: ['ignore', 'ignore', 'pipe']
      })
      renameSync(building, binary)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('gcc not found: the load generator and the fan-out receiver are small C programs (apt-get install gcc)')
      }
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
      throw new Error(`gcc could not build ${binary}:\n${stderr}`)
    }
  }
}
