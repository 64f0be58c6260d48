/**
 * The start of the client id of each bridge's session on this broker (`$bridge/<name>`). Clients cannot connect
 * with such an id (handlers/connect.ts), so nobody can take a bridge's session over or read its queue.
 */
export const BRIDGE_SESSION_PREFIX = '$bridge/'
