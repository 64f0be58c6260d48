import { spawn } from 'node:child_process'
import type { TestContext } from 'node:test'

export interface ProgramResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface ProgramOptions {
  /** Rejects (and kills the program) when it has not exited by then; 30 s by default. */
  timeoutMs?: number
  /** Variables set on top of this process's environment. */
  env?: Record<string, string>
}

/**
 * Runs a program to its end, collecting its output; killed if the test ends first, or after `timeoutMs`
 * (then it rejects saying so, rather than the test hanging on a program that never exits).
 */
export function runProgram(
  t: TestContext,
  command: string,
  args: string[],
  { timeoutMs = 30_000, env }: ProgramOptions = {}
): Promise<ProgramResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  t.after(() => {
    if (child.exitCode === null) child.kill()
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${[command, ...args].join(' ')} did not exit within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`))
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
