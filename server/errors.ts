import { ERROR_STATUS, type ErrorId } from './api/errors'

/**
 * The errors our API answers with: a stable id for programs (the sidebar maps ids to
 * Chinese text), the HTTP status the catalogue (server/api/errors.ts) gives that id, and a
 * message for people reading logs.
 */
export class AppError extends Error {
  readonly status: number
  constructor(
    readonly id: ErrorId,
    message: string,
  ) {
    super(message)
    this.name = 'AppError'
    this.status = ERROR_STATUS[id]
  }
}

export const badRequest = (message = 'The request is malformed') => new AppError('bad_request', message)
export const validationFailed = (message: string) => new AppError('validation_failed', message)
export const unauthorized = (message = 'Sign in first') => new AppError('unauthorized', message)
export const forbidden = (message = 'Not allowed') => new AppError('forbidden', message)
export const notFound = (message = 'Not found') => new AppError('not_found', message)
export const conflict = (message: string) => new AppError('conflict', message)
export const payloadTooLarge = (message = 'The request body is too large') => new AppError('payload_too_large', message)
export const notReady = (message: string) => new AppError('not_ready', message)
export const internalError = () => new AppError('internal_error', 'Something went wrong on our side')
