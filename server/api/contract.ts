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
  /** The channel (渠道活码) the customer came through lately, with its platform; null when none of ours. */
  channel: { name: string; platform: string } | null
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

/**
 * GET /api/follow-up-rules: the next follow-up date a follow-up saved today without one would
 * get, per stage (提醒规则' intervals; null: none), for the sidebar's form to say beforehand.
 */
export interface FollowUpSuggestions {
  /** Today in SCRM_TIMEZONE. */
  today: string
  nextFollowUpOn: Record<Stage, string | null>
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

/** One business day of a team's trend on 团队 (SPEC §4.6: the 30-day chart and its table). */
export interface TeamTrendDay {
  /** YYYY-MM-DD in SCRM_TIMEZONE. */
  date: string
  /** Follow-ups the team's members wrote that day. */
  followUps: number
  /** Customers who added one of the team's members that day. */
  added: number
  /** Customers who deleted one of the team's members that day. */
  lost: number
  /**
   * Follows overdue at the day's end, as the team-figures job recorded them just after it
   * (a past day's cannot be recomputed); null: not recorded (today, still going, or a day
   * no process was up to record). Today's so far is the team table's 逾期.
   */
  overdue: number | null
}

/** GET /api/console/team/trend?manager=…: the last TREND_DAYS days, oldest first, today last (same access as /team). */
export interface TeamTrend {
  manager: { userid: string; name: string } | null
  days: TeamTrendDay[]
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

/** A script on 话术库 (SPEC §3.5, §4.6): its category, text, targeting tags and the team's sends. */
export interface ConsoleScript {
  id: number
  category: { id: number; name: string }
  title: string
  content: string
  /** Tag names: the script is suggested first to customers having any of them. */
  tags: string[]
  /** Sends by the whole team (发送次数). */
  sendCount: number
  updatedAt: string
}

/** GET /api/console/scripts?q=<text>&category=<id>: the scripts matching (title or content), newest change first. */
export interface ScriptLibrary {
  scripts: ConsoleScript[]
  /** How many match; at most `limit` are listed. */
  total: number
  limit: number
  /** Every category that holds a script, by name, with how many it holds (the filter's choices). */
  categories: { id: number; name: string; scripts: number }[]
  /** The variables a script's content may use (SPEC §4.3), by name. */
  variables: string[]
}

/** The longest category, title, content and tag name a script may have (their columns; content in UTF-16 units, the rest in characters). */
export const SCRIPT_LIMITS = { category: 64, title: 128, content: 4000, tag: 64 } as const

/** POST /api/console/scripts, PUT /api/console/scripts/:id: the category is made when new. */
export interface ScriptInput {
  category: string
  title: string
  content: string
  tags: string[]
}

/** Why an imported line did not become a script (SPEC §3.4), for the page to say in its words. */
export type ScriptRowProblem =
  | { kind: 'empty'; field: 'category' | 'title' | 'content' }
  | { kind: 'too_long'; field: 'category' | 'title' | 'content' | 'tag'; max: number }
  | { kind: 'unknown_variables'; names: string[] }
  | { kind: 'duplicate'; firstLine: number }
  | { kind: 'field_count' }

/** POST /api/console/scripts/import ({ csv }: the file's text): what the import did, line by line for the rejected. */
export interface ScriptImportResult {
  created: number
  updated: number
  unchanged: number
  /** The importer's words (English, as `npm run import` prints them) beside the problem. */
  rejected: { line: number; reason: string; problem: ScriptRowProblem }[]
}

// 标签 (/api/console/tags …): corp tag groups and tags, written to WeCom first and mirrored (SPEC §4.6).

/** WeCom's limit on a corp tag or tag group name, in characters (wecom-protocol.md §3.6). */
export const CORP_TAG_NAME_MAX = 30
/** At most this many tags in one 新建标签组 (one a line). */
export const NEW_TAG_GROUP_MAX_TAGS = 100

export interface ConsoleTag {
  id: number
  name: string
}

/** A tag group and its tags, in WeCom's order. `managed`: 客户价值, kept by the segments job: shown, never changed here. */
export interface ConsoleTagGroup {
  id: number
  name: string
  managed: boolean
  tags: ConsoleTag[]
}

/** GET /api/console/tags: every group, in WeCom's order. */
export interface ConsoleTagList {
  groups: ConsoleTagGroup[]
}

/** POST /api/console/tags/groups (201 ConsoleTagGroup): a new group with its tags, in this order. */
export interface NewTagGroupRequest {
  name: string
  tags: string[]
}

/**
 * PATCH /api/console/tags/groups/:id and PATCH /api/console/tags/:id (rename), POST
 * /api/console/tags/groups/:id/tags (a new tag at the end): each answers the group as it is now.
 */
export interface TagNameRequest {
  name: string
}

/** DELETE /api/console/tags/:id (DELETE …/tags/groups/:id answers 204): WeCom deletes a group left without tags, and so do we. */
export interface TagDeletion {
  groupDeleted: boolean
}

// 系统 (/api/console/system …, /api/console/activity), operators only.

/** GET /api/console/system/inbox: the inbox's figures now. */
export interface InboxFigures {
  /** Events by status; pending includes those waiting for a retry. */
  counts: { pending: number; done: number; ignored: number; dead: number }
  /** Pending events that failed at least once and wait for their retry. */
  retrying: number
  /** Age of the oldest pending event in seconds (0 when none is pending), and when it arrived. */
  lagSeconds: number
  oldestPendingAt: string | null
  /**
   * Failures by processor (the registry's names; 'inbox' for a failure outside any processor),
   * read from the errors of the events still retrying and of the dead letters: an event whose
   * steps failed in two processors counts for both. Processors without failures are left out.
   */
  failures: { processor: string; retrying: number; dead: number }[]
}

/** A dead letter: an event that failed every attempt. */
export interface DeadLetter {
  id: number
  event: string
  changeType: string
  attempts: number
  /** The last error, naming the processors that failed (cut at 2,000 characters). */
  error: string
  processors: string[]
  receivedAt: string
  failedAt: string | null
}

/** GET /api/console/system/dead-letters?before=<id>: newest first, 50 a page. */
export interface DeadLetterPage {
  deadLetters: DeadLetter[]
  /** Pass as `before` for the next page; null on the last. */
  nextBefore: number | null
}

/** POST /api/console/system/dead-letters/:id/replay and /api/console/system/dead-letters/replay: how many went back to the queue (0: nothing was dead, nothing changed). */
export interface ReplayResult {
  replayed: number
}

export type SyncStage = 'members' | 'tags' | 'customers' | 'removals'

/** A full sync started from the console. */
export interface SyncRunView {
  id: number
  status: 'running' | 'done' | 'failed'
  startedAt: string
  finishedAt: string | null
  /** Where it was started: 立即同步 on the console, `npm run sync`, or the nightly reconcile job. */
  origin: 'console' | 'cli' | 'reconcile'
  /** Who pressed 立即同步; null for the other origins, or when the member is gone. */
  startedBy: { userid: string; name: string } | null
  /** The latest progress per stage reached so far (members and customers run side by side). */
  progress: Partial<Record<SyncStage, { done: number; total: number }>>
  /** Once done: what it changed. */
  summary: {
    members: number
    tags: { created: number; updated: number; removed: number }
    customers: { created: number; updated: number; removed: number }
    follows: { created: number; updated: number; removed: number }
    resumed: boolean
    seconds: number
  } | null
  /** Once failed: why. */
  error: string | null
}

/** GET /api/console/system/syncs: the sync running now, if any, and the last ten, newest first. */
export interface SyncOverview {
  running: SyncRunView | null
  recent: SyncRunView[]
}

/** POST /api/console/system/syncs (立即同步): 202 started, or 200 with the sync already running. */
export interface SyncStartResult {
  started: boolean
  sync: SyncRunView
}

/** GET /api/console/activity?member=<userid>&action=<action>&before=<id>: newest first, 50 a page. */
export interface ActivityEntry {
  id: number
  at: string
  /** Who did it; null when the actor is gone or it was not a member. */
  actor: { userid: string; name: string } | null
  action: string
  customer: { externalUserid: string; name: string } | null
  detail: Record<string, unknown>
}

export interface ActivityPage {
  entries: ActivityEntry[]
  nextBefore: number | null
}

// 订单来源 (/api/console/sources …)

/** A shop system allowed to post orders (SPEC §4.5), as the console lists it: never its secret. */
export interface ConsoleOrderSource {
  name: string
  platform: string
  /** Where it posts: `$PUBLIC_URL/api/integrations/orders/<name>`. */
  webhookUrl: string
  createdAt: string
  rotatedAt: string | null
  /** When its last order arrived; null before the first. */
  lastOrderAt: string | null
}

/** GET /api/console/sources. */
export interface ConsoleOrderSources {
  sources: ConsoleOrderSource[]
}

/** POST /api/console/sources and …/:name/secret: the secret, shown this once. */
export interface OrderSourceSecret {
  source: ConsoleOrderSource
  secret: string
}

// 渠道活码 (/api/console/channels …)

/** Where a channel's customers come from (SPEC §4.8), as the 平台 select offers them. */
export const CHANNEL_PLATFORMS = ['抖音', '小红书', '哔哩哔哩', '百度', '微信公众号', '视频号', '淘宝', '京东', '拼多多', '有赞', '门店', '官网', 'APP', '小程序', '线下活动', '其他'] as const
export type ChannelPlatform = (typeof CHANNEL_PLATFORMS)[number]

/** What a welcome may hold (send_welcome_msg's limits, with room for the names filled in), for the server's checks and the form's. */
export const WELCOME_VARIABLES = ['客户昵称', '导购姓名'] as const
export const WELCOME_LIMITS = { text: 1000, linkTitleBytes: 128, linkDescBytes: 512, imageBytes: 2 * 1024 * 1024 } as const

/** A link card after a welcome's text. */
export interface WelcomeLinkCard {
  title: string
  url: string
  desc?: string
  picurl?: string
}

/** A welcome message: text with {{客户昵称}} / {{导购姓名}}, and a link card or an image. */
export interface ConsoleWelcome {
  text: string | null
  link: WelcomeLinkCard | null
  image: { id: number; fileName: string } | null
}

/** A channel as the console lists it. */
export interface ConsoleChannel {
  id: number
  name: string
  platform: ChannelPlatform
  /** The 「联系我」 state WeCom echoes on each add through it. */
  state: string
  members: { userid: string; name: string }[]
  skipVerify: boolean
  tags: { id: number; name: string; group: string }[]
  welcome: ConsoleWelcome
  note: string
  /** 'creating': WeCom's answer is pending (重试 finishes it); 'gone': WeCom no longer has its QR code. */
  wecomStatus: 'creating' | 'active' | 'gone'
  /** Our copy of its QR code image (same origin), or null before WeCom made one. */
  qrImageUrl: string | null
  createdAt: string
}

/** POST /api/console/channels and PUT …/:id: what the form sends (requestKey: one per 保存, so a resend makes no second channel). */
export interface ChannelRequest {
  name: string
  platform: ChannelPlatform
  members: string[]
  skipVerify: boolean
  tagIds: number[]
  welcome: { text: string | null; link: WelcomeLinkCard | null; imageId: number | null }
  note: string
  requestKey?: string
}

/** GET /api/console/channels: the channels, and what the form picks from. */
export interface ConsoleChannels {
  channels: ConsoleChannel[]
  platforms: readonly ChannelPlatform[]
  /** Members who can take customers (active, with 客户联系). */
  members: { userid: string; name: string }[]
  /** Corp tags a channel may mark (the managed 客户价值 group left out). */
  tagGroups: { name: string; tags: { id: number; name: string }[] }[]
  /** The company's welcome for adds through no channel. */
  defaultWelcome: ConsoleWelcome
}

/** A channel's (or a platform's) figures over a range of days. */
export interface ChannelFiguresView {
  /** 新增: customers who added a member through it in the range. */
  arrived: number
  /** 流失: its customers who deleted their member in the range. */
  lost: number
  net: number
  /** Of the range's arrivals old enough: the share still following 7 (30) days later; null when none is old enough. */
  retention7: number | null
  retention30: number | null
  /** Arrivals who paid an order after arriving, and the orders' sum (yuan, '123.45'). */
  buyers: number
  revenue: string
  /** revenue ÷ arrived (yuan); '0.00' without arrivals. */
  revenuePerArrival: string
}

/** The longest range of days the channel figures are asked for at once. */
export const FIGURES_MAX_DAYS = 366

/** GET /api/console/channels/stats?from=&to= (business dates, both included). */
export interface ConsoleChannelStats {
  from: string
  to: string
  channels: { id: number; name: string; platform: string; deleted: boolean; figures: ChannelFiguresView }[]
  platforms: { platform: string; figures: ChannelFiguresView }[]
  days: { date: string; arrived: number; lost: number }[]
}

// 提醒规则 (/api/console/rules, /api/console/robots/:userid)

/** The company's reminder rules as the console edits them (PUT /api/console/rules takes the same). */
export interface ConsoleRules {
  /** Hours a customer added and not yet followed up stays new before counting as overdue. */
  newCustomerGraceHours: number
  /** Days to the next follow-up when one is saved without a date, per stage; a stage left out sets none. */
  followUpDays: Partial<Record<Stage, number>>
  /** 'HH:MM' every day in SCRM_TIMEZONE; null: DIGEST_CRON. */
  digestTime: string | null
}

/** A manager's team and its group robot: never the key, only its last four characters. */
export interface ConsoleTeamRobot {
  manager: { userid: string; name: string }
  reports: number
  /** '••••1a2b'; null: no robot. */
  maskedKey: string | null
  updatedAt: string | null
}

/** GET /api/console/rules. */
export interface ConsoleRulesPage {
  rules: ConsoleRules
  /** When the digest goes while digestTime is null: DIGEST_CRON as deployed. */
  configuredDigestCron: string
  /** Whether WECOM_ROBOT_KEY (the company's robot) is set. */
  companyRobot: boolean
  teamRobots: ConsoleTeamRobot[]
}

// Manager overrides (/api/console/managers …)

/** A member and whom they report to; `overridden`: the console decided it, not WeCom. */
export interface ConsoleMemberManagers {
  userid: string
  name: string
  managers: { userid: string; name: string }[]
  overridden: boolean
}

/** GET /api/console/managers: every member still in the company. PUT …/:userid `{ managers: userid[] }` answers the member's new row. */
export interface ConsoleManagerList {
  members: ConsoleMemberManagers[]
}
