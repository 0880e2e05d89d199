/** The API's shapes come from the server's contract; the sidebar adds nothing of its own. */
export { STAGES, type BindingRequest, type BindingResult, type Panel, type SessionInfo, type Signature, type TodoItem } from '../../server/api/contract'
