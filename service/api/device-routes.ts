import { type Request, Router } from 'express'
import { ServiceError } from '../service-error.js'
import type { DeviceSummary } from './api-types.js'
import { parseInput } from './parse-input.js'
import { commandsQuery, devicesQuery, setpointBody } from './request-schemas.js'
import type { CommandDesk, DeviceDirectory } from './service-parts.js'

/** The device the `:id` path segment names (`home%2Fliving-room`, decoded by express); 404 'unknown-device' if none. */
export function deviceOf(devices: DeviceDirectory, req: Request): DeviceSummary {
  const id = req.params.id as string
  const device = devices.get(id)
  if (device === undefined)
    throw new ServiceError('unknown-device', `no device with id '${id}' (ids are {site}/{device}, URL-encoded as one path segment)`)
  return device
}

/** `/devices`, `/devices/:id`, its setpoint command and its command history. */
export function deviceRoutes(devices: DeviceDirectory, commands: CommandDesk): Router {
  const router = Router()
  router.get('/devices', (req, res) => {
    const { site, state, q } = parseInput(devicesQuery, req.query)
    const needle = q?.toLowerCase()
    const found = devices
      .list()
      .filter(
        (device) =>
          (site === undefined || device.site === site) &&
          (state === undefined || device.state === state) &&
          (needle === undefined || device.id.toLowerCase().includes(needle) || (device.meta?.model.toLowerCase().includes(needle) ?? false))
      )
    res.json({ devices: found })
  })
  router.get('/devices/:id', (req, res) => {
    res.json(deviceOf(devices, req))
  })
  router.post('/devices/:id/setpoint', async (req, res) => {
    const device = deviceOf(devices, req)
    const { value } = parseInput(setpointBody, req.body)
    const command = await commands.setpoint(device.id, value)
    // Accepted, not done: the outcome (acked, refused, expired) comes on the live feed and in the command history.
    res
      .status(202)
      .location(`${req.baseUrl}/devices/${encodeURIComponent(device.id)}/commands`)
      .json(command)
  })
  router.get('/devices/:id/commands', (req, res) => {
    const device = deviceOf(devices, req)
    const { limit } = parseInput(commandsQuery, req.query)
    res.json({ commands: commands.history(device.id, limit ?? 50) })
  })
  return router
}
