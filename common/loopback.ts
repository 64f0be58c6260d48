/** Whether `host` names this machine only: what the safe defaults of every listening command allow without a login. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
