/**
 * The JSON the sidebar and console APIs answer with: the one definition both the server (which builds
 * it) and the pages (which read it) use. Types only, no imports, so any side can load it.
 */

/** A customer's stage in the follow-up funnel (SPEC §4.4). */
export const STAGES = ['新客户', '意向', '成交', '复购', '流失'] as const
export type Stage = (typeof STAGES)[number]

export interface Signature {
  timestamp: string
  nonceStr: string
  signature: string
}

export interface SessionInfo {
  member: { userid: string; name: string; isOperator: boolean }
  csrfToken: string
  wecom: { corpId: string; agentId: number }
  /** The page's JS-SDK signatures, when the page sent its URL. */
  signatures?: { corp: Signature; agent: Signature }
}

export interface RenderedScript {
  /** The text with every known variable that has a value filled in. */
  text: string
  /** Variables left as written because they have no value here (or are unknown), in order of appearance. */
  unresolved: string[]
}

/** The customer as WeCom describes them. */
export interface PanelCustomer {
  externalUserid: string
  name: string
  avatar: string | null
  type: number
  gender: number
  corpName: string | null
}

/** The follow the panel is seen through: whose it is, and what the member keeps on it. */
export interface PanelFollow {
  member: { userid: string; name: string }
  through: 'own' | 'report' | 'operator'
  remark: string
  description: string
  /** Masked (SPEC §5): 138****0001. */
  phones: string[]
  channel: string
  addWay: number
  addedAt: string
  status: string
  stage: string | null
  nextFollowUpOn: string | null
}

/** A follow-up as POST /api/customers/:id/follow-ups answers with it. */
export interface FollowUp {
  id: number
  note: string
  nextFollowUpOn: string | null
  stage: string | null
  createdAt: string
}

/** A follow-up in the panel's history, with who wrote it. */
export interface FollowUpEntry extends FollowUp {
  author: string
}

/** A tag group with each tag's state on this follow. */
export interface TagGroupState {
  id: number
  name: string
  tags: { id: number; name: string; marked: boolean }[]
}

/** PUT /api/customers/:id/tags/:tagId: the tag's state now. */
export interface TagState {
  marked: boolean
}

export interface RecentOrder {
  platform: string
  orderNo: string
  status: string
  statusText: string
  /** Yuan with two decimals, e.g. "199.00". */
  amount: string
  paidAt: string | null
  items: { name: string; quantity: number }[]
}

export interface SuggestedScript {
  id: number
  category: string
  title: string
  content: string
  preview: RenderedScript
  tagMatch: boolean
}

/** GET /api/customers/:id/panel. */
export interface Panel {
  customer: PanelCustomer
  follow: PanelFollow
  followUps: FollowUpEntry[]
  tagGroups: TagGroupState[]
  orders: {
    recent: RecentOrder[]
    totals: { count: number; spent: string }
  }
  scripts: SuggestedScript[]
}

export interface TodoItem {
  externalUserid: string
  name: string
  remark: string
  nextFollowUpOn: string | null
  addedAt: string
  /** overdue: the date has passed, or added over 24 h ago and never followed up; today: due today. */
  kind: 'overdue' | 'today'
  /** Whole days past due in the business time zone, 0 when due today; a never-followed customer counts from the end of their grace. */
  overdueDays: number
}

/** GET /api/todo. */
export interface TodoList {
  items: TodoItem[]
}

/** POST /api/customers/:id/bindings: an order number (platform optional while it is unique) or a shop's buyer id. */
export type BindingRequest = { kind: 'order_no'; platform: string | null; value: string } | { kind: 'buyer_id'; platform: string; value: string }

export interface BindingResult {
  /** Orders that now belong to the customer because of this binding. */
  matched: number
}

/**
 * The console (SPEC §3.5, §4.6), under /api/console/. Operators see everything; managers
 * their own reports; anyone else gets 403 `no_console_access` from every console call.
 */
export type ConsoleRole = 'operator' | 'manager'

/** GET /api/console/me: who is signed in and what the console shows them. */
export interface ConsoleMe {
  member: { userid: string; name: string }
  role: ConsoleRole
  /** The teams this member may pick on 团队: a manager only their own; an operator every manager's. */
  teams: { managerUserid: string; managerName: string; members: number }[]
}

/** One report's row on 团队: the digest's figures for the same business date (SPEC §4.4). */
export interface TeamMemberRow {
  userid: string
  name: string
  /** 客户: live follows. */
  customers: number
  /** 逾期 */
  overdue: number
  /** 今日到期 */
  dueToday: number
  /** 新客未跟进 */
  newUnfollowed: number
  /** 昨日流失 */
  lostYesterday: number
  /** 近7天跟进: follow-ups the member wrote in the last 7 business days, today included. */
  followUpsLast7Days: number
}

/** GET /api/console/team?manager=<userid>|all ('all' for operators only): the team's figures as of `date`. */
export interface TeamReport {
  /** The business date the figures are for (today in SCRM_TIMEZONE). */
  date: string
  /** The manager whose reports these are, or null for the whole company. */
  manager: { userid: string; name: string } | null
  members: TeamMemberRow[]
}

/** GET /api/console/team/members/:userid/customers: a report's customers, most overdue first. */
export interface TeamMemberCustomers {
  member: { userid: string; name: string }
  customers: {
    externalUserid: string
    name: string
    remark: string
    stage: Stage | null
    nextFollowUpOn: string | null
    addedAt: string
    lastFollowedUpAt: string | null
    overdue: boolean
  }[]
}

// 话术库 (/api/console/scripts …): its types here

// 标签 (/api/console/tags …): its types here

// 系统 (/api/console/system …, /api/console/activity): its types here
