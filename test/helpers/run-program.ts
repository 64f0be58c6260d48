import { spawn } from 'node:child_process'
import type { TestContext } from 'node:test'

export interface ProgramResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program to its end, collecting its output; killed if the test ends first. */
export function runProgram (t: TestContext, command: string, args: string[]): Promise<ProgramResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null) child.kill() })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}
