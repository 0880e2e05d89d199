/**
 * The errors our API answers with: a stable id for programs (the sidebar maps ids to
 * Chinese text), an HTTP status, and a message for people reading logs.
 */
export class AppError extends Error {
  constructor(
    readonly id: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const badRequest = (message = 'The request is malformed') => new AppError('bad_request', 400, message)
export const validationFailed = (message: string) => new AppError('validation_failed', 400, message)
export const unauthorized = (message = 'Sign in first') => new AppError('unauthorized', 401, message)
export const forbidden = (message = 'Not allowed') => new AppError('forbidden', 403, message)
export const notFound = (message = 'Not found') => new AppError('not_found', 404, message)
export const conflict = (message: string) => new AppError('conflict', 409, message)
export const payloadTooLarge = (message = 'The request body is too large') =>
  new AppError('payload_too_large', 413, message)
export const notReady = (message: string) => new AppError('not_ready', 503, message)
export const internalError = () => new AppError('internal_error', 500, 'Something went wrong on our side')
