/**
 * The retained payloads of a device's status topic: `online` once it is connected, `offline` as its will
 * (the broker publishes it when the connection drops) and on a clean stop.
 */
export const STATUS_ONLINE = 'online'
export const STATUS_OFFLINE = 'offline'
