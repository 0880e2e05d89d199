/**
 * The company tests start from: `startWecomHarness` seeds the simulator with it, and
 * `synced: true` mirrors it into our database. One sales team, everyone in it there for
 * what the tests need of them:
 *
 *   manager    周琳  leads the sales department, so manages everyone in it; follows wmSun too
 *   seller     陈浩  wmXiaomei (the full profile), wmBold, wmChen, wmLin, wmTony
 *   colleague  刘怡  wmUnicorn, wmWu, wmQuotes, wmZhen
 *   operator   孙薇  an operator on the harness's server (ADMIN_USERIDS); wmLily, wmSun
 *
 * Orders and scripts are not WeCom's: a test that needs them builds them, with the factories
 * of test/factories.ts and buildScriptLibrary below.
 */
import type { DataSource } from 'typeorm'
import type { SeedCompany, SeedFollow } from '../simulator'
import { Customer } from '../server/entities'
import { buildScript } from './factories'

/** The member the harness's server makes an operator. */
export const TEST_OPERATOR = 'operator'

const SALES_DEPARTMENT = 2
const DAY_SECONDS = 86_400

/** Each customer, who follows them, and what their follow holds beyond the defaults. */
const CUSTOMERS: { external_userid: string; name: string; followers: string[]; addedDaysAgo: number; follow?: Partial<SeedFollow> }[] = [
  {
    external_userid: 'wmXiaomei',
    name: '🌸小美',
    followers: ['seller'],
    addedDaysAgo: 20,
    follow: { remark: '小美-老客', description: '喜欢新品，周末方便联系', state: 'store-qr', remark_mobiles: ['13800000001'], tagIds: ['etVip', 'etSkin', 'etStore'] },
  },
  // Markup in the nickname and the remark, which every screen and message must show as text.
  { external_userid: 'wmBold', name: '<b>加粗</b>&amp;', followers: ['seller'], addedDaysAgo: 15, follow: { remark: '<b>老客</b>', tagIds: ['etNormal'] } },
  { external_userid: 'wmChen', name: '陈先生', followers: ['seller'], addedDaysAgo: 10, follow: { remark_mobiles: ['13800000004'], tagIds: ['etNormal', 'etSkin'] } },
  { external_userid: 'wmLin', name: '小林同学', followers: ['seller'], addedDaysAgo: 8 },
  { external_userid: 'wmTony', name: 'Tony 老师', followers: ['seller'], addedDaysAgo: 5, follow: { state: 'live-room', tagIds: ['etLive'] } },
  // An astral character in the name: one code point, two UTF-16 units.
  { external_userid: 'wmUnicorn', name: '🦄测试𠮷', followers: ['colleague'], addedDaysAgo: 20, follow: { tagIds: ['etProspect'] } },
  // Tagged 彩妆, and none of 重要客户, 潜在客户 or 护肤 (what scripts target).
  { external_userid: 'wmWu', name: '吴小姐', followers: ['colleague'], addedDaysAgo: 12, follow: { tagIds: ['etNormal', 'etMakeup', 'etLive'] } },
  { external_userid: 'wmQuotes', name: '"引号"\'与\'<script>alert(1)</script>', followers: ['colleague'], addedDaysAgo: 9 },
  { external_userid: 'wmZhen', name: '阿珍🍵', followers: ['colleague'], addedDaysAgo: 6 },
  { external_userid: 'wmLily', name: 'Lily 李', followers: ['operator'], addedDaysAgo: 18, follow: { tagIds: ['etVip'] } },
  // Followed by a salesperson and their manager, as happens in real teams.
  { external_userid: 'wmSun', name: '孙悦', followers: ['operator', 'manager'], addedDaysAgo: 7, follow: { tagIds: ['etNormal'] } },
]

/** The WeCom side of the test company, for the simulator; follows were added `addedDaysAgo` before `now`. */
export function buildCompany({ now = Date.now() }: { now?: number } = {}): SeedCompany {
  const nowSeconds = Math.floor(now / 1000)
  const member = (userid: string, name: string, extra: { leads?: boolean; directLeader?: string } = {}) => ({
    userid,
    name,
    department: [SALES_DEPARTMENT],
    main_department: SALES_DEPARTMENT,
    is_leader_in_dept: [extra.leads ? 1 : 0],
    direct_leader: extra.directLeader ? [extra.directLeader] : [],
    position: extra.leads ? '销售主管' : '导购',
    customerContact: true,
  })
  return {
    departments: [
      { id: 1, name: '测试公司', parentid: 0, order: 1 },
      { id: SALES_DEPARTMENT, name: '销售部', parentid: 1, order: 2 },
    ],
    users: [
      member('manager', '周琳', { leads: true }),
      member('seller', '陈浩'),
      member('colleague', '刘怡'),
      // Her manager is named as well as implied by the department.
      member('operator', '孙薇', { directLeader: 'manager' }),
    ],
    // A higher order sorts first.
    tagGroups: [
      { group_id: 'etGroupLevel', group_name: '客户等级', order: 3, tags: [{ id: 'etVip', name: '重要客户', order: 3 }, { id: 'etNormal', name: '普通客户', order: 2 }, { id: 'etProspect', name: '潜在客户', order: 1 }] },
      { group_id: 'etGroupInterest', group_name: '兴趣偏好', order: 2, tags: [{ id: 'etSkin', name: '护肤', order: 2 }, { id: 'etMakeup', name: '彩妆', order: 1 }] },
      { group_id: 'etGroupSource', group_name: '来源渠道', order: 1, tags: [{ id: 'etStore', name: '门店', order: 2 }, { id: 'etLive', name: '直播', order: 1 }] },
    ],
    customers: CUSTOMERS.map(({ external_userid, name }) => ({ external_userid, name, unionid: `oUnion${external_userid.slice(2)}` })),
    follows: CUSTOMERS.flatMap(({ external_userid, followers, addedDaysAgo, follow = {} }) =>
      followers.map((userid, i) => ({
        userid,
        external_userid,
        createtime: nowSeconds - addedDaysAgo * DAY_SECONDS,
        // The first follower's relation is the one described; the others are plain.
        ...(i === 0 ? follow : {}),
      })),
    ),
  }
}

/** A customer of the company as the sync stored it. */
export const syncedCustomer = (dataSource: DataSource, externalUserid: string): Promise<Customer> => dataSource.getRepository(Customer).findOneByOrFail({ externalUserid })

/**
 * Six scripts in three categories, created in this order (equal suggestions go by id): some
 * targeted at a tag, some with variables that only a customer with orders fills.
 */
export async function buildScriptLibrary(dataSource: DataSource): Promise<void> {
  const scripts = [
    { category: '开场问候', title: '新客欢迎', content: '{{客户称呼}}您好，我是{{导购姓名}}，以后有任何护肤问题都可以找我哦～', tags: ['潜在客户'] },
    { category: '开场问候', title: '节日问候', content: '{{客户称呼}}，节日快乐！门店本周有会员专享活动，欢迎来逛逛。' },
    { category: '产品推荐', title: '护肤新品', content: '{{客户称呼}}，上次您买的{{最近购买}}用得怎么样？这周到了新款精华，很适合换季。', tags: ['护肤'] },
    { category: '产品推荐', title: '彩妆试色', content: '{{客户称呼}}，新一季口红到店了，{{导购姓名}}帮您留了试色装。', tags: ['彩妆'] },
    { category: '售后关怀', title: '物流跟进', content: '{{客户称呼}}，您的订单状态是「{{订单状态}}」，有问题随时告诉我。' },
    { category: '售后关怀', title: '会员回馈', content: '感谢{{客户称呼}}一直以来的支持，累计消费{{累计消费}}元，已为您升级会员权益。', tags: ['重要客户'] },
  ]
  for (const script of scripts) await buildScript(dataSource, script)
}
