import { messages } from './messages'

/** A refused API call: the server's stable id, and a Chinese message for the member. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
  ) {
    super(messages.errors[id] ?? messages.failed)
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
    const body = (await response.json().catch(() => null)) as { error?: { id?: string } } | null
    throw new ApiError(response.status, body?.error?.id ?? 'failed')
  }
  return (response.status === 204 ? undefined : await response.json()) as T
}

/** What to tell the member about a failure: our API's refusal in Chinese, anything else (offline, a crash) as a plain failure. */
export const problemText = (error: unknown): string => (error instanceof ApiError ? error.message : messages.failed)
