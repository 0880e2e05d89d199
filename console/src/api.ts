import { ApiError, createApiClient } from '../../server/api/client'
import { messages } from './messages'
import { CONSOLE_ERROR_IDS } from './types'

const client = createApiClient(CONSOLE_ERROR_IDS, messages)

export { ApiError }
/** The one client of our API (server/api/client.ts), speaking to the reader in the console's words. */
export const api = client.call
export const configureApi = client.configure
export const problemText = client.problemText
export const refusal = client.refusal
