import { z } from 'zod'

/** The Home Assistant discovery settings `thermopost simulate` and `thermopost agent` share. */

/** A discovery prefix: topic levels without wildcards, not empty, no leading or trailing `/`. */
export const discoveryPrefix = z.string().regex(/^[^/+#\u0000]+(\/[^/+#\u0000]+)*$/, 'topic levels without wildcards, like homeassistant')

/** `--no-ha-discovery`: discovery is on by default, and this is the flag that turns it off. */
export const noDiscoveryFlag = { 'no-ha-discovery': { type: 'boolean' } } as const
