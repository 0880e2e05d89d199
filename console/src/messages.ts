import type { ConsoleErrorId } from './types'

/** What the reader sees when something failed and we have nothing more precise to say. */
const failed = '出错了，请稍后重试。'

/** Every Chinese text the console shows, in one place. */
export const messages = {
  appTitle: '客户管理后台',
  loading: '正在加载…',
  signingIn: '正在登录…',
  navigation: '主导航',
  signedInAs: (name: string, userid: string) => `当前登录：${name}（${userid}）`,
  noAccessTitle: '没有权限',
  noAccessBody: '客户管理后台只对管理员和有下属的主管开放。如需使用，请联系管理员。',
  // One entry per page of SPEC §3.5, added with the issue that builds it.
  pages: {
    team: '团队',
    scripts: '话术库',
    tags: '标签',
    system: '系统',
  },
  // 话术库: its texts here
  // 标签: its texts here
  // 系统: its texts here
  team: {
    title: '团队',
    picker: '查看团队',
    wholeCompany: '全公司',
    teamOf: (name: string, members: number) => `${name} 的团队（${members} 人）`,
    caption: (scope: string, date: string) => `${scope}：截至 ${date} 的跟进数据`,
    columns: {
      member: '成员',
      customers: '客户',
      overdue: '逾期',
      dueToday: '今日到期',
      newUnfollowed: '新客未跟进',
      lostYesterday: '昨日流失',
      followUpsLast7Days: '近7天跟进',
    },
    openMember: (name: string) => `查看 ${name} 的客户`,
    empty: '这个团队还没有成员。',
    noTeams: '还没有可查看的团队：企业微信通讯录里还没有主管和下属。',
  },
  customers: {
    title: (name: string) => `${name} 的客户`,
    back: '返回团队',
    caption: (count: number) => `列出 ${count} 位客户，逾期的排在前面`,
    columns: {
      name: '客户',
      stage: '阶段',
      nextFollowUp: '下次跟进',
    },
    noStage: '未设置',
    noDate: '未安排',
    overdue: '已逾期',
    empty: '这位成员还没有客户。',
  },
  notFound: '没有这个页面。',
  failed,
  retry: '重试',
  // One text for every id the console can meet: a new id in server/api/errors.ts fails vue-tsc until it has its text.
  errors: {
    bad_request: failed,
    payload_too_large: failed,
    internal_error: failed,
    validation_failed: '请求的内容有误，请刷新后重试。',
    not_found: '没有找到这位成员，或 TA 不在你能查看的团队里。',
    forbidden: '没有权限查看这些内容。',
    no_console_access: '没有权限使用客户管理后台。',
    oauth_state: '登录没有完成，请重新打开客户管理后台。',
    oauth_code: '登录已失效，请重新打开客户管理后台。',
    not_a_member: '只有本企业的成员可以使用客户管理后台。',
    unauthorized: '登录已过期，正在重新登录…',
    csrf: '页面已过期，请刷新后重试。',
    wecom_refused: '企业微信拒绝了这次操作，请稍后重试。',
  } satisfies Record<ConsoleErrorId, string>,
} as const
