/**
 * The demo company: what `npm start` shows with nothing configured. WeCom-side data goes
 * to the simulator; orders and scripts, which WeCom does not hold, go to our database.
 * Ids are fixed so that restarting the demo finds the same company again.
 */
import { Readable } from 'node:stream'
import type { DataSource } from 'typeorm'
import { Member, Order } from '../entities'
import type { OrderInput } from '../orders/orderInput'
import { saveOrders } from '../orders/saveOrders'
import { setTeamRobot } from '../rules/teamRobots'
import { importScripts } from '../scripts/importScripts'
import type { SeedCompany } from '../../simulator'

export const DEMO_CORP_ID = 'wwdemo0000000001'
export const DEMO_AGENT_ID = 1000002
export const DEMO_MANAGER = 'wanglei'
/** The demo's operator (ADMIN_USERIDS, unless the demo run sets its own): runs the console, follows no customer. */
export const DEMO_OPERATOR = 'chenjing'
/** The group robot of the manager's team: the simulator takes it beside the company's. */
export const DEMO_TEAM_ROBOT_KEY = 'demo-team-robot-wanglei'
export const DEMO_MEMBERS = ['zhangsan', 'lisi', 'zhaomin']

const DAY = 86_400
/** The `source` of the demo's orders. */
const DEMO_ORDER_SOURCE = 'demo'

const NICKNAMES = [
  '🌸小美', '🦄测试𠮷', 'Lily 李', '陈先生', '阿珍🍵', '王女士', '小林同学', '周周', '🐱猫咪妈妈', 'Tony 老师',
  '刘阿姨', '健身达人💪', '<b>加粗</b>&amp;', '吴小姐', '郑总', '孙悦', '🌙', '何必', '冯晓', '秦时明月',
  '许愿瓶✨', '曹操不慌', '严严', '华华', '金贝贝', '魏小宝', '陶陶', '姜姜好', '戚薇薇', '谢谢你',
  '这是一个非常非常长的微信昵称用来测试侧边栏是否能够正确地折行显示而不会撑破布局🎉🎉🎉结尾',
  '"引号"\'与\'<script>alert(1)</script>',
]

const TAG_GROUPS = [
  { group_id: 'etDemoGroupLevel', group_name: '客户等级', order: 3, tags: [['etDemoVip', '重要客户'], ['etDemoNormal', '普通客户'], ['etDemoProspect', '潜在客户']] },
  { group_id: 'etDemoGroupInterest', group_name: '兴趣偏好', order: 2, tags: [['etDemoSkin', '护肤'], ['etDemoMakeup', '彩妆'], ['etDemoPerfume', '香水'], ['etDemoBaby', '母婴']] },
  { group_id: 'etDemoGroupSource', group_name: '来源渠道', order: 1, tags: [['etDemoStore', '门店'], ['etDemoLive', '直播'], ['etDemoReferral', '朋友推荐']] },
] as const

export const demoCustomerId = (n: number) => `wmDemoCustomer${String(n).padStart(3, '0')}`

/** The WeCom side of the demo company, for the simulator. */
export function demoCompany(now = Date.now()): SeedCompany {
  const nowSeconds = Math.floor(now / 1000)
  const tagIds = TAG_GROUPS.flatMap((group) => group.tags.map(([id]) => id))
  return {
    departments: [
      { id: 1, name: '演示公司', parentid: 0, order: 1 },
      { id: 2, name: '销售一部', parentid: 1, order: 2 },
    ],
    users: [
      { userid: DEMO_OPERATOR, name: '陈静', department: [1], is_leader_in_dept: [0], main_department: 1, position: '运营', customerContact: false },
      { userid: DEMO_MANAGER, name: '王磊', department: [2], is_leader_in_dept: [1], main_department: 2, position: '销售主管', customerContact: true },
      { userid: 'zhangsan', name: '张三', department: [2], is_leader_in_dept: [0], main_department: 2, position: '导购', customerContact: true },
      { userid: 'lisi', name: '李四', department: [2], is_leader_in_dept: [0], main_department: 2, position: '销售', customerContact: true },
      { userid: 'zhaomin', name: '赵敏', department: [2], is_leader_in_dept: [0], main_department: 2, direct_leader: [DEMO_MANAGER], position: '导购', customerContact: true },
    ],
    tagGroups: TAG_GROUPS.map((group) => ({
      group_id: group.group_id,
      group_name: group.group_name,
      order: group.order,
      tags: group.tags.map(([id, name], i) => ({ id, name, order: group.tags.length - i })),
    })),
    customers: NICKNAMES.map((name, i) => ({
      external_userid: demoCustomerId(i + 1),
      name,
      type: 1 as const,
      gender: ((i % 3) as 0 | 1 | 2),
      unionid: `oDemoUnion${String(i + 1).padStart(3, '0')}`,
    })),
    follows: NICKNAMES.flatMap((_, i) => {
      const n = i + 1
      const owner = DEMO_MEMBERS[i % DEMO_MEMBERS.length]!
      const follows = [
        {
          userid: owner,
          external_userid: demoCustomerId(n),
          remark: i % 4 === 0 ? `${NICKNAMES[i]!.slice(0, 4)}-老客` : '',
          description: i % 5 === 0 ? '喜欢新品，周末方便联系' : '',
          createtime: nowSeconds - ((i * 7) % 30) * DAY - 3600,
          tagIds: [tagIds[i % 3]!, tagIds[3 + (i % 4)]!, tagIds[7 + (i % 3)]!],
          remark_mobiles: i % 3 === 0 ? [`1380000${String(n).padStart(4, '0')}`] : [],
          add_way: [1, 2, 3, 201][i % 4]!,
          oper_userid: owner,
          state: i % 2 === 0 ? 'store-qr' : '',
        },
      ]
      // Some customers also follow the manager, as happens in real teams.
      if (n % 6 === 0) {
        follows.push({ ...follows[0]!, userid: DEMO_MANAGER, oper_userid: DEMO_MANAGER, remark: '', tagIds: [tagIds[0]!], remark_mobiles: [] })
      }
      return follows
    }),
  }
}

const SCRIPTS = [
  { category: '开场问候', title: '新客欢迎', content: '{{客户称呼}}您好，我是{{导购姓名}}，以后有任何护肤问题都可以找我哦～', tags: ['潜在客户'] },
  { category: '开场问候', title: '节日问候', content: '{{客户称呼}}，节日快乐！门店本周有会员专享活动，欢迎来逛逛。', tags: [] },
  { category: '产品推荐', title: '护肤新品', content: '{{客户称呼}}，上次您买的{{最近购买}}用得怎么样？这周到了新款精华，很适合换季。', tags: ['护肤'] },
  { category: '产品推荐', title: '彩妆试色', content: '{{客户称呼}}，新一季口红到店了，{{导购姓名}}帮您留了试色装。', tags: ['彩妆'] },
  { category: '售后关怀', title: '物流跟进', content: '{{客户称呼}}，您的订单状态是「{{订单状态}}」，有问题随时告诉我。', tags: [] },
  { category: '售后关怀', title: '会员回馈', content: '感谢{{客户称呼}}一直以来的支持，累计消费{{累计消费}}元，已为您升级会员权益。', tags: ['重要客户'] },
]

/** The script library as an operator would import it (SPEC §3.4), so the importer's rules apply. */
function scriptsCsv(): string {
  const field = (value: string) => `"${value.replaceAll('"', '""')}"`
  const rows = SCRIPTS.map((script) => [script.category, script.title, script.content, script.tags.join('|')].map(field).join(','))
  return ['category,title,content,tags', ...rows].join('\r\n')
}

const ORDER_ITEMS = [['玻尿酸精华', 1], ['防晒霜', 2], ['丝绒口红', 1], ['婴儿润肤乳', 3], ['香水小样', 5]] as const

/** Twelve orders of the first twelve demo customers, paid over the last weeks. */
function demoOrders(now: Date): OrderInput[] {
  return Array.from({ length: 12 }, (_, i): OrderInput => {
    const n = i + 1
    const [name, quantity] = ORDER_ITEMS[n % ORDER_ITEMS.length]!
    return {
      platform: n % 2 === 0 ? 'tmall' : 'youzan',
      orderNo: `DEMO${String(n).padStart(6, '0')}`,
      status: (['paid', 'shipped', 'completed', 'completed'] as const)[n % 4]!,
      paidAt: new Date(now.getTime() - n * 3 * 86_400_000),
      amountCents: 9900 + n * 2350,
      items: [{ name, quantity }],
      externalUserid: demoCustomerId(n),
      unionid: null,
      phone: null,
      buyerId: null,
    }
  })
}

/**
 * Orders and scripts of the demo company, written by the script importer and saveOrders as
 * production's are. Idempotent, so every demo start may run it: a re-import of the same
 * scripts changes nothing, and orders are seeded once (a restart keeps their dates).
 */
export async function seedDemoContent(dataSource: DataSource, now = new Date()): Promise<void> {
  const scripts = await importScripts(dataSource, Readable.from([scriptsCsv()]))
  if (scripts.rejected.length > 0) throw new Error(`the demo's scripts were refused: ${JSON.stringify(scripts.rejected)}`)
  if (await dataSource.getRepository(Order).existsBy({ source: DEMO_ORDER_SOURCE })) return
  await dataSource.transaction(async (tx) => {
    await saveOrders(tx, demoOrders(now), { source: DEMO_ORDER_SOURCE, now })
    // The manager's team has its own group robot (提醒规则), once: an operator may remove it.
    const manager = await tx.findOneByOrFail(Member, { userid: DEMO_MANAGER })
    await setTeamRobot(tx, manager.id, DEMO_TEAM_ROBOT_KEY, null, now)
  })
}
