/**
 * The WeCom simulator: an in-memory stand-in for WeCom's servers (api/), and the demo
 * console composed on top of it (console/: the page, its forms, the stand-in JS bridge).
 * Demo mode mounts both under a base path; tests start the API on its own port with listen().
 */
export { createSimulator } from './api/simulator'
export { demoConsole } from './console/demoConsole'
export type { ListeningSimulator, Simulator, SimulatorOptions } from './api/simulator'
export type { ApiCall } from './api/apiRoutes'
export { CallbackNotDelivered } from './api/callbacks'
export type { BuildCallbackOptions, BuiltCallback, CallbackResponse } from './api/callbacks'
export type { FaultRule } from './api/faults'
export type { SimulatorSnapshot } from './api/snapshot'
export type { AppMessageRecord, RobotMessageRecord } from './api/messageApi'
export type { WelcomeMessageRecord } from './api/welcomeApi'
export { OAUTH_USER_COOKIE } from './api/oauth'
export { DEV_BRIDGE_PATH } from './console/devBridge'
export { SimCompany, ROOT_DEPARTMENT_ID } from './api/state'
export type {
  SeedCompany,
  SeedCustomer,
  SeedDepartment,
  SeedFollow,
  SeedTag,
  SeedTagGroup,
  SeedUser,
  SimContactWay,
  SimCustomer,
  SimDepartment,
  SimFollow,
  SimMedia,
  SimMediaType,
  SimTag,
  SimTagGroup,
  SimUser,
  SimUserStatus,
  SimWelcomeCode,
} from './api/state'
export type { CustomerAddsMember, CustomerScansContactWay, FollowRef, MemberChange, MemberEditsCustomer, NewMember } from './api/wecomChanges'
