/** mqtt.js's `servers` list for broker URLs (mqtt:// or mqtts://): it tries them in turn on each reconnect. */
export function brokerServers(urls: readonly string[]): Array<{ host: string; port: number; protocol: 'mqtt' | 'mqtts' }> {
  return urls.map((url) => {
    const parsed = new URL(url)
    const protocol = parsed.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts'
    return { host: parsed.hostname, port: Number(parsed.port || (protocol === 'mqtts' ? 8883 : 1883)), protocol }
  })
}
