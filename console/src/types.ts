/** The API's shapes and error ids come from the server's contract; the console adds nothing of its own. */
export type * from '../../server/api/contract'
export { STAGES } from '../../server/api/contract'
export { CONSOLE_ERROR_IDS, type ConsoleErrorId } from '../../server/api/errors'
