/** The shapes of WeCom's API, as far as we use them (wecom-protocol.md §3). */

export interface WecomResult {
  errcode?: number
  errmsg?: string
}

export interface WecomUser {
  userid: string
  name: string
  department?: number[]
  is_leader_in_dept?: number[]
  direct_leader?: string[]
  main_department?: number
  avatar?: string
  status?: number
}

export interface WecomDepartment {
  id: number
  name: string
  parentid?: number
  order?: number
}

export interface ExternalContact {
  external_userid: string
  name: string
  avatar?: string
  type?: number
  gender?: number
  unionid?: string
  position?: string
  corp_name?: string
  corp_full_name?: string
}

export interface FollowUserTag {
  group_name?: string
  tag_name?: string
  tag_id?: string
  /** 1 corp tag, 2 personal tag (no id), 3 rule-group tag. */
  type?: number
}

/** A follower as `externalcontact/get` shows it; `batch/get_by_user` gives `tag_id` instead of `tags`. */
export interface FollowInfo {
  userid: string
  remark?: string
  description?: string
  createtime?: number
  tags?: FollowUserTag[]
  tag_id?: string[]
  remark_corp_name?: string
  remark_mobiles?: string[]
  oper_userid?: string
  add_way?: number
  state?: string
}

export interface CorpTagGroup {
  group_id: string
  group_name: string
  create_time?: number
  order?: number
  deleted?: boolean
  tag?: { id: string; name: string; create_time?: number; order?: number; deleted?: boolean }[]
}

/** Every endpoint: its method, path, and the types of its parameters and answer. */
export interface Endpoints {
  getToken: { query: { corpid: string; corpsecret: string }; body: never; response: { access_token: string; expires_in: number } }
  getJsapiTicket: { query: Record<string, never>; body: never; response: { ticket: string; expires_in: number } }
  getAgentTicket: { query: { type: 'agent_config' }; body: never; response: { ticket: string; expires_in: number } }
  getUserInfo: { query: { code: string }; body: never; response: { userid?: string; openid?: string; external_userid?: string } }
  getUser: { query: { userid: string }; body: never; response: WecomUser }
  listDepartments: { query: { id?: string }; body: never; response: { department: WecomDepartment[] } }
  listFollowUsers: { query: Record<string, never>; body: never; response: { follow_user: string[] } }
  listCustomers: { query: { userid: string }; body: never; response: { external_userid: string[] } }
  getCustomer: {
    query: { external_userid: string; cursor?: string }
    body: never
    response: { external_contact: ExternalContact; follow_user: FollowInfo[]; next_cursor?: string }
  }
  batchGetByUser: {
    query: Record<string, never>
    body: { userid_list: string[]; cursor?: string; limit?: number }
    response: { external_contact_list: { external_contact: ExternalContact; follow_info: FollowInfo }[]; next_cursor?: string }
  }
  getCorpTags: { query: Record<string, never>; body: { tag_id?: string[]; group_id?: string[] }; response: { tag_group: CorpTagGroup[] } }
  addCorpTag: {
    query: Record<string, never>
    body: { group_id?: string; group_name?: string; order?: number; tag: { name: string; order?: number }[]; agentid?: number }
    response: { tag_group: CorpTagGroup }
  }
  editCorpTag: { query: Record<string, never>; body: { id: string; name?: string; order?: number }; response: WecomResult }
  delCorpTag: { query: Record<string, never>; body: { tag_id?: string[]; group_id?: string[] }; response: WecomResult }
  markTag: {
    query: Record<string, never>
    body: { userid: string; external_userid: string; add_tag?: string[]; remove_tag?: string[] }
    response: WecomResult
  }
  remark: {
    query: Record<string, never>
    body: { userid: string; external_userid: string; remark?: string; description?: string; remark_mobiles?: string[] }
    response: WecomResult
  }
  sendAppMessage: {
    query: Record<string, never>
    body: Record<string, unknown> & { touser: string; msgtype: string; agentid: number }
    response: { invaliduser?: string; msgid?: string }
  }
  sendRobotMessage: { query: { key: string }; body: Record<string, unknown> & { msgtype: string }; response: WecomResult }
  // 「联系我」 (wecom-protocol.md §3.12): a channel's QR code.
  addContactWay: {
    query: Record<string, never>
    body: { type: 1 | 2; scene: 2; remark: string; skip_verify: boolean; state: string; user: string[] }
    response: { config_id: string; qr_code: string }
  }
  getContactWay: { query: Record<string, never>; body: { config_id: string }; response: { contact_way: ContactWay } }
  listContactWays: {
    query: Record<string, never>
    body: { start_time?: number; end_time?: number; cursor?: string; limit?: number }
    response: { contact_way?: { config_id: string }[]; next_cursor?: string }
  }
  updateContactWay: { query: Record<string, never>; body: { config_id: string; remark?: string; skip_verify?: boolean; user?: string[] }; response: WecomResult }
  delContactWay: { query: Record<string, never>; body: { config_id: string }; response: WecomResult }
  // A new customer's welcome (§3.10).
  sendWelcome: { query: Record<string, never>; body: { welcome_code: string; text?: { content: string }; attachments?: WelcomeAttachment[] }; response: WecomResult }
  /** A temporary media file (3 days), multipart with the file in the field `media`. */
  uploadMedia: { query: { type: 'image' }; body: FormData; response: { type: string; media_id: string; created_at: string } }
}

/** A 「联系我」 way as get_contact_way answers it (the fields we read). */
export interface ContactWay {
  config_id: string
  type: number
  scene: number
  remark?: string
  skip_verify?: boolean
  state?: string
  qr_code?: string
  user?: string[]
  party?: number[]
}

/** An attachment of a welcome message (§3.10): the kinds a channel's welcome can carry. */
export type WelcomeAttachment =
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'link'; link: { title: string; url: string; desc?: string; picurl?: string } }

export type EndpointName = keyof Endpoints

/** How each endpoint is reached; `token: false` for the two that take no access_token. */
export const endpoints: { [K in EndpointName]: { method: 'GET' | 'POST'; path: string; token: boolean } } = {
  getToken: { method: 'GET', path: '/cgi-bin/gettoken', token: false },
  getJsapiTicket: { method: 'GET', path: '/cgi-bin/get_jsapi_ticket', token: true },
  getAgentTicket: { method: 'GET', path: '/cgi-bin/ticket/get', token: true },
  getUserInfo: { method: 'GET', path: '/cgi-bin/auth/getuserinfo', token: true },
  getUser: { method: 'GET', path: '/cgi-bin/user/get', token: true },
  listDepartments: { method: 'GET', path: '/cgi-bin/department/list', token: true },
  listFollowUsers: { method: 'GET', path: '/cgi-bin/externalcontact/get_follow_user_list', token: true },
  listCustomers: { method: 'GET', path: '/cgi-bin/externalcontact/list', token: true },
  getCustomer: { method: 'GET', path: '/cgi-bin/externalcontact/get', token: true },
  batchGetByUser: { method: 'POST', path: '/cgi-bin/externalcontact/batch/get_by_user', token: true },
  getCorpTags: { method: 'POST', path: '/cgi-bin/externalcontact/get_corp_tag_list', token: true },
  addCorpTag: { method: 'POST', path: '/cgi-bin/externalcontact/add_corp_tag', token: true },
  editCorpTag: { method: 'POST', path: '/cgi-bin/externalcontact/edit_corp_tag', token: true },
  delCorpTag: { method: 'POST', path: '/cgi-bin/externalcontact/del_corp_tag', token: true },
  markTag: { method: 'POST', path: '/cgi-bin/externalcontact/mark_tag', token: true },
  remark: { method: 'POST', path: '/cgi-bin/externalcontact/remark', token: true },
  sendAppMessage: { method: 'POST', path: '/cgi-bin/message/send', token: true },
  sendRobotMessage: { method: 'POST', path: '/cgi-bin/webhook/send', token: false },
  addContactWay: { method: 'POST', path: '/cgi-bin/externalcontact/add_contact_way', token: true },
  getContactWay: { method: 'POST', path: '/cgi-bin/externalcontact/get_contact_way', token: true },
  listContactWays: { method: 'POST', path: '/cgi-bin/externalcontact/list_contact_way', token: true },
  updateContactWay: { method: 'POST', path: '/cgi-bin/externalcontact/update_contact_way', token: true },
  delContactWay: { method: 'POST', path: '/cgi-bin/externalcontact/del_contact_way', token: true },
  sendWelcome: { method: 'POST', path: '/cgi-bin/externalcontact/send_welcome_msg', token: true },
  uploadMedia: { method: 'POST', path: '/cgi-bin/media/upload', token: true },
}

/** WeCom error codes our logic branches on (the meanings are in wecom-protocol.md §3.12). */
export const WecomCode = {
  ok: 0,
  systemBusy: -1,
  invalidSecret: 40001,
  invalidAccessToken: 40014,
  invalidOauthCode: 40029,
  invalidTagId: 40068,
  invalidExternalUserid: 40096,
  accessTokenExpired: 42001,
  rateLimited: 45009,
  concurrencyLimited: 45033,
  userNotFound: 60111,
  allRecipientsInvalid: 81013,
  notExternalContact: 84061,
  robotInvalid: 93000,
  invalidMediaId: 40007,
  // 「联系我」 and welcomes (§3.10, §3.12).
  contactWayUnknown: 41044,
  contactWayQuota: 41045,
  welcomeCodeInvalid: 41050,
  welcomeTaken: 41051,
  /** The member is in the chat-archive range and the customer has not agreed to its notice yet. */
  welcomeAwaitsConsent: 41053,
  welcomeInFlight: 41096,
} as const

/** Our own codes for failures that never reached a WeCom answer. */
export const TransportCode = { timeout: -9001, network: -9002, badResponse: -9003 } as const
