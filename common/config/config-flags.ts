import type { ParseArgsConfig } from 'node:util'
import type { z } from 'zod'
import { UsageError } from '../command-errors.js'
import { pathText, problemsOf, unwrap } from './config-problem.js'

/**
 * Command-line flags made from a config schema's top-level keys: each key's kebab-case spelling
 * (`max_inflight` ↔ `--max-inflight`), so the file and the command line can never drift apart.
 * Keys that hold lists or mappings (`listeners`) exist in the file only.
 */
export interface ConfigFlags {
  options: NonNullable<ParseArgsConfig['options']>
  /** The flag's values as config keys, typed and checked by the schema; a bad value is a UsageError naming the flag. */
  configFrom(values: Record<string, string | boolean | undefined | Array<string | boolean>>): Record<string, unknown>
}

export function flagOf(configKey: string): string {
  return `--${configKey.replace(/_/g, '-')}`
}

/**
 * @param switches boolean keys that are bare flags (`--require-certificate`); other booleans take
 *   `true` or `false`, so a flag can also switch off what the file switched on.
 */
export function configFlags(schema: z.ZodObject, switches: ReadonlySet<string>): ConfigFlags {
  const kinds = new Map<string, string>()
  for (const [key, field] of Object.entries(schema.shape)) {
    const kind = unwrap(field as z.ZodType).type
    if (kind === 'array' || kind === 'object') continue
    kinds.set(key, kind)
  }
  const options: ConfigFlags['options'] = {}
  for (const key of kinds.keys()) options[flagOf(key).slice(2)] = { type: switches.has(key) ? 'boolean' : 'string' }

  const configFrom: ConfigFlags['configFrom'] = (values) => {
    const config: Record<string, unknown> = {}
    for (const [key, kind] of kinds) {
      const value = values[flagOf(key).slice(2)]
      if (value === undefined || Array.isArray(value)) continue
      if (switches.has(key)) {
        if (value === true) config[key] = true
        continue
      }
      config[key] = typeof value === 'string' ? typed(value, kind) : value
    }
    const result = schema.partial().safeParse(config)
    if (!result.success) {
      const [problem] = problemsOf(result.error, config, schema)
      throw new UsageError(
        `${flagOf(String(problem!.path[0]))}${problem!.path.length > 1 ? ` (${pathText(problem!.path)})` : ''} ${problem!.message}`
      )
    }
    return result.data as Record<string, unknown>
  }
  return { options, configFrom }
}

/** The flag's text as the kind the schema wants; left as text when it is not one, for the schema to name the mistake. */
function typed(text: string, kind: string): unknown {
  if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  if (kind === 'boolean' && (text === 'true' || text === 'false')) return text === 'true'
  return text
}
