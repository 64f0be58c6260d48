import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { CommandError, UsageError } from '../../common/command-errors.js'
import { hashPassword, PasswordFileError, type PasswordLine, parsePasswordLines, userNameProblem } from './passwords.js'

export const passwdUsage = `Usage: thermopost passwd FILE add USER
       thermopost passwd FILE delete USER
       thermopost passwd FILE list

Manages a password file for 'thermopost broker --password-file FILE' (scrypt hashes, one user a line).
  add USER      adds USER, or gives them a new password; the file is created if missing.
                On a terminal the password is asked twice, without echo; otherwise it is the
                first line of stdin (echo "$PW" | thermopost passwd FILE add USER). Never an argument.
  delete USER   removes USER
  list          prints the user names, one a line

Files made by mosquitto_passwd work as they are; their users keep their hashes until changed here.
The file is replaced whole (a temporary file, then rename), readable by its owner only (mode 0600).`

/** The longest password read from stdin; MQTT cannot carry more than 65535 bytes. */
const maxPasswordBytes = 65535

/** `thermopost passwd FILE add|delete|list [USER]`. */
export async function runPasswdCommand(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(passwdUsage)
    return
  }
  const [file, action, user, ...extra] = args
  if (file === undefined || action === undefined) throw new UsageError('passwd needs a FILE and an action')
  if (file.startsWith('-')) throw new UsageError(`unknown option '${file}'`)
  if (action === 'list') {
    if (user !== undefined) throw new UsageError('list takes no user name')
    for (const line of await readPasswordLines(file, false)) if (line.kind === 'user') console.log(line.user)
    return
  }
  if (action !== 'add' && action !== 'delete') throw new UsageError(`unknown action '${action}' (add, delete or list)`)
  if (user === undefined) throw new UsageError(`${action} needs a user name`)
  if (extra.length > 0) {
    throw new UsageError('too many arguments (the password is never an argument: it is asked for, or read from stdin)')
  }
  const problem = userNameProblem(user)
  if (problem !== undefined) throw new UsageError(problem)

  const lines = await readPasswordLines(file, action === 'add')
  const texts = lines.map((line) => line.text)
  const index = lines.findIndex((line) => line.kind === 'user' && line.user === user)
  if (action === 'delete') {
    if (index < 0) throw new CommandError(`${file}: no user '${user}'`)
    texts.splice(index, 1)
    await writeAtomically(file, texts)
    console.log(`deleted ${user}`)
    return
  }
  const password = await readNewPassword()
  const text = `${user}:${await hashPassword(password)}`
  if (index < 0) texts.push(text)
  else texts[index] = text
  await writeAtomically(file, texts)
  console.log(`${index < 0 ? 'added' : 'changed the password of'} ${user}`)
}

/** The file's lines; a missing file is empty when `mayBeMissing`. A bad line stops the command: it is not ours to drop. */
async function readPasswordLines(file: string, mayBeMissing: boolean): Promise<PasswordLine[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (mayBeMissing && (error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new CommandError(`${file}: cannot read: ${(error as Error).message}`)
  }
  try {
    return parsePasswordLines(text, file)
  } catch (error) {
    if (error instanceof PasswordFileError) throw new CommandError(`${error.message}\nFix or remove that line first; nothing was changed.`)
    throw error
  }
}

/**
 * Writes the lines to a new file beside `file` (mode 0600 from the start, so the hashes are never readable by others),
 * syncs it, renames it over `file`, and syncs the directory: a crash leaves the old file or the new one.
 */
async function writeAtomically(file: string, lines: string[]): Promise<void> {
  const directory = dirname(resolve(file))
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const handle = await open(temporary, 'wx', 0o600)
    try {
      await handle.chmod(0o600) // in case the umask took bits away from the owner
      await handle.writeFile(lines.map((line) => `${line}\n`).join(''))
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw new CommandError(`${file}: cannot write: ${(error as Error).message}`)
  }
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function readNewPassword(): Promise<string> {
  const stdin = process.stdin
  let password: string
  if (stdin.isTTY) {
    password = await readHidden('Password: ')
    const again = await readHidden('Password again: ')
    if (again !== password) throw new CommandError('the passwords do not match; nothing was changed')
  } else {
    password = await readFirstLine(stdin)
  }
  if (password === '') throw new CommandError('empty password; nothing was changed')
  if (Buffer.byteLength(password) > maxPasswordBytes) throw new CommandError(`a password is at most ${maxPasswordBytes} bytes`)
  return password
}

/** The first line of a stream (without its line end), or all of it if it has no line end. */
async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  stream.setEncoding('utf8')
  let text = ''
  for await (const chunk of stream) {
    text += chunk as string
    const end = text.indexOf('\n')
    if (end >= 0) {
      text = text.slice(0, end)
      break
    }
    if (text.length > 4 * maxPasswordBytes) break
  }
  return text.endsWith('\r') ? text.slice(0, -1) : text
}

/** Reads a line from the terminal with echo off; prompts on stderr so that stdout stays the command's output. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  return new Promise((resolvePassword, reject) => {
    let text = ''
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
    }
    const onData = (chunk: string): void => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') {
          finish()
          resolvePassword(text)
          return
        }
        if (character === '\u0003' || (character === '\u0004' && text === '')) {
          // Ctrl-C, or Ctrl-D on an empty line
          finish()
          reject(new CommandError('cancelled; nothing was changed'))
          return
        }
        if (character === '\u007f' || character === '\b') text = [...text].slice(0, -1).join('')
        else if (character === '\u0015')
          text = '' // Ctrl-U
        else if (character >= ' ') text += character
      }
    }
    stdin.on('data', onData)
  })
}
