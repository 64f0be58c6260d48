import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SOURCE = join(REPO_ROOT, 'test/bench/native/fanout-receiver.c')
/** Next to the compiled bench, under dist/ (never committed); built afresh by every bench run. */
export const FANOUT_RECEIVER = fileURLToPath(new URL('./native/fanout-receiver', import.meta.url))

/**
 * Compiles the native fan-out receiver with the system's gcc (Debian's; no other toolchain).
 * Built on every run rather than when stale: a second of gcc is nothing next to a bench, and a
 * binary left over from another checkout can never be measured by mistake.
 */
export function buildFanOutReceiver(): void {
  mkdirSync(dirname(FANOUT_RECEIVER), { recursive: true })
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', FANOUT_RECEIVER, SOURCE, '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('gcc not found: the fan-out scenarios receive with a small C program (apt-get install gcc)')
    }
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
    throw new Error(`gcc could not build ${SOURCE}:\n${stderr}`)
  }
}
