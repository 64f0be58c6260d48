import { Router } from 'express'
import type { InstanceDesk } from './service-parts.js'

/**
 * The routes that need no token, for supervisors and load balancers: `/health` (the process answers) and
 * `/instance` (whether it is the active instance, and which one is). A standby serves them too, so a load
 * balancer's check can send the traffic to the active instance.
 */
export function openRoutes(instance: InstanceDesk | undefined): Router {
  const router = Router()
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })
  if (instance !== undefined) {
    router.get('/instance', (_req, res) => {
      res.json(instance.status())
    })
  }
  return router
}
