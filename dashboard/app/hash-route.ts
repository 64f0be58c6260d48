/**
 * The dashboard's views, addressed by the URL's hash so the service needs one route for the page:
 * `#/` overview, `#/device/{id}` (the id URL-encoded), `#/compare?ids=a,b`, `#/broker`.
 */
export type Route = { view: 'overview' } | { view: 'device'; id: string } | { view: 'compare'; ids: string[] } | { view: 'broker' }

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?', 2)
  const parts = path.split('/').filter((part) => part !== '')
  if (parts[0] === 'device' && parts[1] !== undefined) return { view: 'device', id: decodeURIComponent(parts[1]) }
  if (parts[0] === 'compare') {
    const ids = new URLSearchParams(query).get('ids')
    return { view: 'compare', ids: ids === null || ids === '' ? [] : ids.split(',') }
  }
  if (parts[0] === 'broker') return { view: 'broker' }
  return { view: 'overview' }
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/'
    case 'device':
      return `#/device/${encodeURIComponent(route.id)}`
    case 'compare':
      return route.ids.length === 0 ? '#/compare' : `#/compare?${new URLSearchParams({ ids: route.ids.join(',') })}`
    case 'broker':
      return '#/broker'
  }
}
