/** A WeCom call that failed: WeCom's errcode (or one of our TransportCode) and the API path. */
export class WecomApiError extends Error {
  constructor(
    readonly code: number,
    readonly path: string,
    message: string,
  ) {
    super(`WeCom ${path} failed with ${code}: ${message}`)
    this.name = 'WecomApiError'
  }
}
