import { z } from 'zod'
import { isName } from '../common/contract/topics.js'

/** The Home Assistant discovery settings `thermopost simulate` and `thermopost agent` share. */

/** A discovery prefix: one or more topic levels, none empty, no wildcards (`homeassistant`, `ha/upstairs`). */
export const discoveryPrefix = z
  .string()
  .refine((prefix) => prefix.split('/').every(isName), 'must be topic levels without wildcards, like homeassistant')

/** `--no-ha-discovery`: discovery is on by default, and this is the flag that turns it off. */
export const noDiscoveryFlag = { 'no-ha-discovery': { type: 'boolean' } } as const
