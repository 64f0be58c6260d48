import { forgetJoinedPackets } from './joined-packets.js'
import type { ClientSocket } from './listeners/client-socket.js'

/**
 * The socket listeners and timer callbacks of every connection. They are shared functions that find their
 * connection on the socket (listeners) or get it as the timer's argument: closures per connection would cost
 * about half a kilobyte of every idle connection.
 */
export interface CallbackTarget extends WriteTarget {
  receive(chunk: Buffer): void
  finish(): void
}

/** The write side's part (socket-writer.ts). */
export interface WriteTarget {
  drained(): void
  drainTimedOut(): void
  flush(): void
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

export function onDrainTimeout(target: WriteTarget): void {
  target.drainTimedOut()
}

/** Connections written to in this tick, in the order of their first write; flushed together when the tick's work is done. */
const written: WriteTarget[] = []

/**
 * Has `target.flush()` called once the current tick's work is done, with that of every other connection
 * written to in it: one queued callback per tick for the whole broker instead of one per connection.
 */
export function flushAfterTick(target: WriteTarget): void {
  if (written.push(target) === 1) process.nextTick(flushWritten)
}

function flushWritten(): void {
  // A flush may write to a connection not yet in the list (a failed write closes, a close may publish a will): it joins this round.
  for (let i = 0; i < written.length; i++) written[i].flush()
  written.length = 0
  forgetJoinedPackets()
}

export function destroySocket(socket: ClientSocket): void {
  socket.destroy()
}
