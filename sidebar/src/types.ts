/** The API's shapes and error ids come from the server's contract; the sidebar adds nothing of its own. */
export type * from '../../server/api/contract'
export { STAGES } from '../../server/api/contract'
export { SIDEBAR_ERROR_IDS, type SidebarErrorId } from '../../server/api/errors'
