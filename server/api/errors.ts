/**
 * Every error id our HTTP API answers with (`{ error: { id, message } }`), and its status.
 * Shared with the sidebar, which maps ids to Chinese text: no imports, so either side can load it.
 */
export const ERROR_STATUS = {
  // Any endpoint: malformed, unauthenticated or refused requests, and our own failures.
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
  not_ready: 503,
  // Sign-in and sessions.
  csrf: 403,
  oauth_state: 403,
  oauth_code: 401,
  not_a_member: 403,
  // The console: a member who is neither an operator nor a manager.
  no_console_access: 403,
  // 话术库: a script that is gone, a second script of the same category and title, an unknown variable, a file that is not the scripts CSV.
  script_not_found: 404,
  script_exists: 409,
  script_variable: 400,
  csv_header: 400,
  csv_syntax: 400,
  // 标签: the managed group 客户价值 is the segments job's; a name its group (or the company's groups) has already.
  tag_group_managed: 409,
  tag_name_taken: 409,
  // 渠道活码: WeCom did not answer whether it made a channel's QR code (kept as being created, finished when tried again).
  wecom_timeout: 504,
  // 提醒规则: what was pasted as a group robot is neither its key nor its webhook address.
  robot_key: 400,
  // The sidebar's actions on a customer.
  tag_deleted: 410,
  wecom_refused: 502,
  follow_up_date: 400,
  order_not_found: 404,
  order_ambiguous: 409,
  order_taken: 409,
  buyer_taken: 409,
  // WeCom's callback URL: a wrong signature, or a malformed envelope.
  callback_signature: 401,
  callback_base64: 400,
  callback_ciphertext: 400,
  callback_padding: 400,
  callback_receiveid: 400,
  callback_xml: 400,
} as const satisfies Record<string, number>

export type ErrorId = keyof typeof ERROR_STATUS

/**
 * The ids the sidebar can meet: what its endpoints (sign-in, JS-SDK signatures, the customer
 * API, the to-do page) and the middleware in front of them answer with. Its messages cover these.
 */
export const SIDEBAR_ERROR_IDS = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'payload_too_large',
  'internal_error',
  'csrf',
  'oauth_state',
  'oauth_code',
  'not_a_member',
  'tag_deleted',
  'wecom_refused',
  'follow_up_date',
  'order_not_found',
  'order_ambiguous',
  'order_taken',
  'buyer_taken',
] as const satisfies readonly ErrorId[]

export type SidebarErrorId = (typeof SIDEBAR_ERROR_IDS)[number]

/** The ids the console can meet: sign-in, the session, and the /api/console/ endpoints. Its messages cover these. */
export const CONSOLE_ERROR_IDS = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'payload_too_large',
  'internal_error',
  'csrf',
  'oauth_state',
  'oauth_code',
  'not_a_member',
  'no_console_access',
  'wecom_refused',
  'script_not_found',
  'script_exists',
  'script_variable',
  'csv_header',
  'csv_syntax',
  // 标签
  'tag_group_managed',
  'tag_name_taken',
  // 提醒规则
  'robot_key',
  // 渠道活码
  'wecom_timeout',
] as const satisfies readonly ErrorId[]

export type ConsoleErrorId = (typeof CONSOLE_ERROR_IDS)[number]
