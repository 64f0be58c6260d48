import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import type { AlertRecord } from '../../../service/api/api-types.js'

/** A local HTTP server that keeps every POSTed alert, in order; closed after the test. */
export async function webhookReceiver(t: TestContext): Promise<{ url: string; received: AlertRecord[] }> {
  const received: AlertRecord[] = []
  const server = createServer((request: IncomingMessage, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      if (request.method === 'POST') received.push((JSON.parse(body) as { alert: AlertRecord }).alert)
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }
}
