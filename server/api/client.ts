/**
 * The pages' client of our API: the sidebar and the console each make theirs, with their
 * own Chinese texts. JSON both ways, the CSRF token on every change, one place for 401, and
 * a refusal as an ApiError carrying the catalogue's id (errors.ts) when the page knows it.
 * Beside the contract it speaks; no imports and nothing but `fetch`, so any side can load it.
 */

/** A refused API call: the server's stable id (null when the answer has none the page knows), and the page's message for it. */
export class ApiError<Id extends string = string> extends Error {
  constructor(
    readonly status: number,
    readonly id: Id | null,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export interface ApiClient<Id extends string> {
  /** After sign-in: the session's CSRF token, and what to do when the session is gone (401). */
  configure(options: { csrfToken: string; onUnauthorized: () => void }): void
  call<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>
  /** The error for an answer with this status and error id (unknown ids become the page's plain failure). */
  refusal(status: number, id: unknown): ApiError<Id>
  /** What to tell the reader about a failure: our API's refusal in the page's words, anything else (offline, a crash) as a plain failure. */
  problemText(error: unknown): string
}

export function createApiClient<Id extends string>(knownIds: readonly Id[], text: { errors: Record<Id, string>; failed: string }): ApiClient<Id> {
  let csrfToken = ''
  let onUnauthorized: () => void = () => {}
  const known = (id: unknown): id is Id => (knownIds as readonly unknown[]).includes(id)
  const refusal = (status: number, id: unknown) => (known(id) ? new ApiError<Id>(status, id, text.errors[id]) : new ApiError<Id>(status, null, text.failed))
  return {
    configure(options) {
      csrfToken = options.csrfToken
      onUnauthorized = options.onUnauthorized
    },
    async call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
      const response = await fetch(path, {
        method: init.method ?? 'GET',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      })
      if (response.status === 401) onUnauthorized()
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: { id?: unknown } } | null
        throw refusal(response.status, body?.error?.id)
      }
      return (response.status === 204 ? undefined : await response.json()) as T
    },
    refusal,
    problemText: (error) => (error instanceof ApiError ? error.message : text.failed),
  }
}

/**
 * Back from WeCom's sign-in (OAuth or web login): its code and state, and the page's URL
 * without them (nor the #wechat_redirect OAuth ends in), for the page to put in place before
 * anything reads or signs its URL, so that a reload or a bookmark does not reuse the code.
 * Null when the URL carries no sign-in.
 */
export function signInReturn(href: string): { code: string; state: string; cleanUrl: string } | null {
  const url = new URL(href)
  const code = url.searchParams.get('code')
  const state = url.searchParams.get('state')
  if (!code || !state) return null
  url.searchParams.delete('code')
  url.searchParams.delete('state')
  if (url.hash === '#wechat_redirect') url.hash = ''
  return { code, state, cleanUrl: url.toString() }
}
