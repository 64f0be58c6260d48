import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { z } from 'zod'
import { CommandError, UsageError } from '../command-errors.js'
import { type ConfigFile, ConfigFileError, readConfigFile } from './config-file.js'
import { configFlags, flagOf } from './config-flags.js'
import { type ConfigProblem, pathText } from './config-problem.js'

export interface CommandConfigOptions {
  /** Boolean keys that are bare flags (`--home-assistant`); other booleans take true or false. */
  switches?: ReadonlySet<string>
  /** Keys whose flag may be repeated (`--url a --url b`), a list in the file. */
  repeatable?: readonly string[]
  /** Flags of the command that are no config key (`--recover`). */
  extraFlags?: NonNullable<ParseArgsConfig['options']>
}

export interface CommandConfig<T> {
  /** The file's keys with the flags laid over them. */
  config: T
  /** What the command line set. */
  fromFlags: Partial<T>
  file: ConfigFile<T> | undefined
  /** The values of `extraFlags`. */
  extra: Record<string, string | boolean | Array<string | boolean> | undefined>
  /**
   * Problems found across keys, blamed where they were made: on a flag (a UsageError, exit 2) when the
   * command line set the key, else on the file's line (a CommandError, exit 1).
   */
  problems(problems: ConfigProblem[]): Error
  problem(key: string, message: string): Error
}

/**
 * One command's configuration from its flags and, with `--config FILE [--section NAME]`, a YAML file, both
 * checked by one schema: every top-level key is a flag, its kebab-case spelling, and a flag wins over the
 * file. Resolves undefined when --help was asked. Used by every long-running command (broker, service,
 * simulate), so they read, override and report their settings the same way.
 */
export async function readCommandConfig<S extends z.ZodObject>(
  args: string[],
  schema: S,
  options: CommandConfigOptions = {}
): Promise<CommandConfig<z.infer<S>> | undefined> {
  type Config = z.infer<S>
  const flags = configFlags(schema, options.switches ?? new Set())
  const repeatable = options.repeatable ?? []
  const parsed = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      section: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...flags.options,
      ...Object.fromEntries(repeatable.map((key) => [flagOf(key).slice(2), { type: 'string' as const, multiple: true }])),
      ...options.extraFlags
    },
    strict: true
  })
  const values = parsed.values as Record<string, string | boolean | Array<string | boolean> | undefined>
  if (values.help === true) return undefined
  const single = Object.fromEntries(Object.entries(values).filter(([flag]) => !repeatable.some((key) => flagOf(key) === `--${flag}`)))
  const fromFlags = flags.configFrom(single) as Partial<Config>
  for (const key of repeatable) {
    const given = values[flagOf(key).slice(2)]
    if (given !== undefined) (fromFlags as Record<string, unknown>)[key] = given
  }
  if (values.section !== undefined && values.config === undefined) throw new UsageError('--section needs --config')
  let file: ConfigFile<Config> | undefined
  try {
    file =
      values.config === undefined ? undefined : await readConfigFile(values.config as string, schema, values.section as string | undefined)
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CommandError(error.message)
    throw error
  }
  const extra = Object.fromEntries(Object.keys(options.extraFlags ?? {}).map((flag) => [flag, values[flag]]))
  const problems = (list: ConfigProblem[]): Error => {
    const byFlag = list.find((problem) => typeof problem.path[0] === 'string' && problem.path[0] in fromFlags)
    if (byFlag !== undefined) {
      const { path, message } = byFlag
      return new UsageError(`${flagOf(String(path[0]))}${path.length > 1 ? ` (${pathText(path)})` : ''} ${message}`)
    }
    if (file !== undefined) return new CommandError(file.problemsError(list).message)
    return new UsageError(list.map((problem) => `${pathText(problem.path)}: ${problem.message}`).join('\n'))
  }
  return {
    config: { ...file?.value, ...fromFlags } as Config,
    fromFlags,
    file,
    extra,
    problems,
    problem: (key, message) => problems([{ path: [key], message }])
  }
}
