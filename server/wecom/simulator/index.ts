/**
 * The WeCom simulator: an in-memory stand-in for WeCom's servers. Demo mode mounts its
 * middleware under a base path; tests start it on its own port with listen().
 */
export { createSimulator } from './simulator'
export type { ListeningSimulator, Simulator, SimulatorOptions } from './simulator'
export type { ApiCall } from './apiRoutes'
export { CallbackNotDelivered } from './callbacks'
export type { BuildCallbackOptions, BuiltCallback, CallbackResponse } from './callbacks'
export type { FaultRule } from './faults'
export type { SimulatorSnapshot } from './snapshot'
export type { AppMessageRecord, RobotMessageRecord } from './messageApi'
export { OAUTH_USER_COOKIE } from './oauth'
export { DEV_BRIDGE_PATH } from './devBridge'
export { SimCompany, ROOT_DEPARTMENT_ID } from './state'
export type {
  SeedCompany,
  SeedCustomer,
  SeedDepartment,
  SeedFollow,
  SeedTag,
  SeedTagGroup,
  SeedUser,
  SimCustomer,
  SimDepartment,
  SimFollow,
  SimTag,
  SimTagGroup,
  SimUser,
  SimUserStatus,
} from './state'
export type { CustomerAddsMember, FollowRef, MemberChange, MemberEditsCustomer, NewMember } from './wecomChanges'
