/** Where the simulator is mounted: '' standalone, '/wecom-sim' inside the demo's server. */

/** '' or '/prefix' without a trailing slash. */
export function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '')
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** The path below basePath, or undefined when the request is not for the simulator. */
export function pathUnderBase(path: string, basePath: string): string | undefined {
  if (basePath === '') return path
  if (path === basePath) return '/'
  return path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : undefined
}
