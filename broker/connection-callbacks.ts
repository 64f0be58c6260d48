import type { ClientSocket } from './listeners/client-socket.js'

/**
 * The socket listeners and timer callbacks of every connection. They are shared functions that find their
 * connection on the socket (listeners) or get it as the timer's argument: closures per connection would cost
 * about half a kilobyte of every idle connection.
 */
export interface CallbackTarget {
  receive(chunk: Buffer): void
  finish(): void
  drained(): void
  drainTimedOut(): void
  uncork(): void
}

const TARGET = Symbol('connection')
type OwnedSocket = ClientSocket & { [TARGET]: CallbackTarget }

/** Makes `target` the owner of the socket's data, error and close events. */
export function listenOnSocket(socket: ClientSocket, target: CallbackTarget): void {
  ;(socket as OwnedSocket)[TARGET] = target
  socket.on('data', onSocketData)
  socket.on('error', onSocketError)
  socket.on('close', onSocketClose)
}

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[TARGET].receive(chunk)
}

function onSocketError(): void {
  // The close event follows and does the cleanup; a reset by the peer is not worth a log line.
}

function onSocketClose(this: OwnedSocket): void {
  this[TARGET].finish()
}

/** For `socket.once('drain', ...)` on a socket passed to listenOnSocket. */
export function onSocketDrain(this: OwnedSocket): void {
  this[TARGET].drained()
}

export function onDrainTimeout(target: CallbackTarget): void {
  target.drainTimedOut()
}

export function uncorkConnection(target: CallbackTarget): void {
  target.uncork()
}

export function destroySocket(socket: ClientSocket): void {
  socket.destroy()
}
