/**
 * The demo company: what `npm start` shows with nothing configured. WeCom-side data goes
 * to the simulator; orders and scripts, which WeCom does not hold, go to our database.
 * Ids are fixed so that restarting the demo finds the same company again.
 */
import type { DataSource } from 'typeorm'
import { Customer, Order, OrderItem, Script, ScriptCategory, ScriptTagTarget } from '../entities'
import type { SeedCompany } from '../../simulator'

export const DEMO_CORP_ID = 'wwdemo0000000001'
export const DEMO_AGENT_ID = 1000002
export const DEMO_MANAGER = 'wanglei'
export const DEMO_MEMBERS = ['zhangsan', 'lisi', 'zhaomin']

const DAY = 86_400

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

/** Orders and scripts of the demo company; idempotent, so every demo start may run it. */
export async function seedDemoContent(dataSource: DataSource, now = new Date()): Promise<void> {
  await dataSource.transaction(async (tx) => {
    for (const [i, script] of SCRIPTS.entries()) {
      await tx.createQueryBuilder().insert().into(ScriptCategory).updateEntity(false).values({ name: script.category, sortOrder: i, createdAt: now }).orIgnore().execute()
      const category = await tx.findOneByOrFail(ScriptCategory, { name: script.category })
      await tx
        .createQueryBuilder()
        .insert()
        .updateEntity(false)
        .into(Script)
        .values({ categoryId: category.id, title: script.title, content: script.content, sendCount: 0, createdAt: now, updatedAt: now })
        .orIgnore()
        .execute()
      const saved = await tx.findOneByOrFail(Script, { categoryId: category.id, title: script.title })
      if (script.tags.length > 0) {
        await tx.createQueryBuilder().insert().into(ScriptTagTarget).updateEntity(false).values(script.tags.map((tagName) => ({ scriptId: saved.id, tagName }))).orIgnore().execute()
      }
    }

    const items = [['玻尿酸精华', 1], ['防晒霜', 2], ['丝绒口红', 1], ['婴儿润肤乳', 3], ['香水小样', 5]] as const
    for (let n = 1; n <= 12; n++) {
      const customer = await tx.findOneBy(Customer, { externalUserid: demoCustomerId(n) })
      const orderNo = `DEMO${String(n).padStart(6, '0')}`
      const [name, quantity] = items[n % items.length]!
      await tx
        .createQueryBuilder()
        .insert()
        .updateEntity(false)
        .into(Order)
        .values({
          platform: n % 2 === 0 ? 'tmall' : 'youzan',
          orderNo,
          status: (['paid', 'shipped', 'completed', 'completed'] as const)[n % 4]!,
          paidAt: new Date(now.getTime() - n * 3 * 86_400_000),
          amountCents: 9900 + n * 2350,
          customerId: customer?.id ?? null,
          externalUserid: demoCustomerId(n),
          unionid: null,
          phone: null,
          buyerId: null,
          source: 'demo',
          createdAt: now,
          updatedAt: now,
        })
        .orIgnore()
        .execute()
      const order = await tx.findOneByOrFail(Order, { platform: n % 2 === 0 ? 'tmall' : 'youzan', orderNo })
      await tx.createQueryBuilder().insert().into(OrderItem).updateEntity(false).values({ orderId: order.id, lineNo: 1, name, quantity }).orIgnore().execute()
    }
  })
}
