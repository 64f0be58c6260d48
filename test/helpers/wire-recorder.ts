import type { RawClient } from './raw-client.js'

/**
 * Every byte a raw client receives from the moment this is called, for assertions about the encoding
 * itself (flag bits, length fields) that a parsed packet no longer shows. Call the result to read them.
 */
export function recordBytes(client: RawClient): () => Buffer {
  const chunks: Buffer[] = []
  client.socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks)
}
