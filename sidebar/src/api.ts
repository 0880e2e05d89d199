import { messages } from './messages'
import { SIDEBAR_ERROR_IDS, type SidebarErrorId } from './types'

const knownId = (id: unknown): id is SidebarErrorId => (SIDEBAR_ERROR_IDS as readonly unknown[]).includes(id)

/** A refused API call: the server's stable id (null when the answer has none we know), and a Chinese message for the member. */
export class ApiError extends Error {
  readonly id: SidebarErrorId | null
  constructor(
    readonly status: number,
    id: unknown,
  ) {
    const known = knownId(id) ? id : null
    super(known ? messages.errors[known] : messages.failed)
    this.id = known
  }
}

let csrfToken = ''
let onUnauthorized: () => void = () => {}

export function configureApi(options: { csrfToken: string; onUnauthorized: () => void }): void {
  csrfToken = options.csrfToken
  onUnauthorized = options.onUnauthorized
}

/** The one client of our API: JSON both ways, the CSRF token on every change, one place for 401. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (response.status === 401) onUnauthorized()
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { id?: unknown } } | null
    throw new ApiError(response.status, body?.error?.id)
  }
  return (response.status === 204 ? undefined : await response.json()) as T
}

/** What to tell the member about a failure: our API's refusal in Chinese, anything else (offline, a crash) as a plain failure. */
export const problemText = (error: unknown): string => (error instanceof ApiError ? error.message : messages.failed)
