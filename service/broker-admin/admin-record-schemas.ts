import { z } from 'zod'
import type { AdminClient, AdminPage, AdminRetained, AdminSession } from '../../common/admin-api-records.js'

/*
 * The broker admin API's records as the service checks them before relaying them: the broker may be another
 * version than the service, and the dashboard must get the shapes api-types.ts promises or an error, never
 * something in between. Fields the broker adds later are dropped, not refused.
 */

const clientId = z.string()
const count = z.number().int().min(0)

export const adminClientSchema = z.object({
  clientId,
  address: z.string().nullable(),
  listener: z.string(),
  protocolVersion: z.string(),
  username: z.string().nullable(),
  certificateCN: z.string().nullable(),
  keepalive: count,
  connectedSince: z.number(),
  subscriptions: z.array(z.object({ filter: z.string(), qos: count })),
  inflight: count,
  queued: count
}) satisfies z.ZodType<AdminClient>

export const adminSessionSchema = z.object({
  clientId,
  connected: z.boolean(),
  expiresAt: z.number().nullable(),
  subscriptions: count,
  queued: count
}) satisfies z.ZodType<AdminSession>

export const adminRetainedSchema = z.object({
  topic: z.string(),
  qos: count,
  size: count,
  payload: z.string().nullable(),
  payloadBase64: z.string()
}) satisfies z.ZodType<AdminRetained>

const next = z.string().nullable()

export const clientsPageSchema = z.object({ clients: z.array(adminClientSchema), next }) satisfies z.ZodType<
  AdminPage<'clients', AdminClient>
>
export const sessionsPageSchema = z.object({ sessions: z.array(adminSessionSchema), next }) satisfies z.ZodType<
  AdminPage<'sessions', AdminSession>
>
export const retainedPageSchema = z.object({ messages: z.array(adminRetainedSchema), next }) satisfies z.ZodType<
  AdminPage<'messages', AdminRetained>
>
