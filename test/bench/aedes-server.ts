// Aedes as a stand-alone broker process for the bench: `node aedes-server.js PORT nagle|nodelay` (0 picks
// a free port). `nagle` is how Aedes's own docs set it up (a plain `net.createServer`, Node's default);
// `nodelay` sets TCP_NODELAY on every accepted socket. Prints `aedes listening on mqtt://127.0.0.1:<port>` when ready; closes on SIGTERM.

import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const aedes = await Aedes.createBroker()
const server = createServer({ noDelay: process.argv[3] === 'nodelay' }, aedes.handle)
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  console.log(`aedes listening on mqtt://127.0.0.1:${address.port}`)
})
process.once('SIGTERM', () => {
  server.close()
  aedes.close(() => process.exit(0))
})
