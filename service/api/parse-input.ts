import type { z } from 'zod'
import { ServiceError } from '../service-error.js'

/**
 * A request's query or body checked against its schema: the parsed value, or a ServiceError 'invalid-field'
 * naming the first field at fault (an unknown one included: a misspelt `resoluton` is a mistake, not a default).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!
    throw new ServiceError('invalid-field', `unknown field '${key}'`, key)
  }
  const field = issue.path.map(String).join('.')
  if (field === '') throw new ServiceError('invalid-field', 'the body must be a JSON object', 'body')
  throw new ServiceError('invalid-field', issue.message, field)
}
