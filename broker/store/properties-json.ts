/** Message properties as JSON text, for stores that keep them as text (SQLite, Redis). */
import type { MessageProperties } from '../message.js'

/** Properties as JSON; Buffers (Correlation Data) as `{ "$buffer": base64 }`. */
export function encodeProperties(properties: object | undefined | null): string | null {
  if (properties === undefined || properties === null) return null
  return JSON.stringify(properties, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $buffer: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
    if (isJsonBuffer(value)) return { $buffer: Buffer.from(value.data).toString('base64') }
    return value
  })
}

function isJsonBuffer(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  )
}

export function decodeProperties(json: string | null): MessageProperties | undefined {
  if (json === null) return undefined
  return JSON.parse(json, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && typeof (value as { $buffer?: unknown }).$buffer === 'string') {
      return Buffer.from((value as { $buffer: string }).$buffer, 'base64')
    }
    return value
  }) as MessageProperties
}
