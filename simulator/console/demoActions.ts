import { randomInt } from 'node:crypto'
import type { Context } from 'koa'
import { CallbackNotDelivered } from '../api/callbacks'
import { canServeCustomers, contactWayMembers } from '../api/contactWayApi'
import { FormProblem, type FormFields } from './demoForm'
import { DEV_CHAT_COOKIE } from './devBridge'
import { isFollowableUrl } from './messageMarkup'
import { OAUTH_USER_COOKIE } from '../api/oauth'
import type { Simulator } from '../api/simulator'
import { randomId, type SimCompany, type SimContactWay, type SimCustomer, type SimFollow, type SimTag, type SimTagGroup, type SimUser } from '../api/state'

/**
 * What the demo page's forms do. Each action validates the visitor's fields against the
 * simulated company (so an impossible change gets a clear Chinese reason, not an exception),
 * makes the WeCom-side change through the simulator's own methods, and says what happened.
 */

/** The one-line outcome the page shows after a form post. */
export interface Flash {
  kind: 'ok' | 'error'
  text: string
  /** Where to go instead of back to the page (opening the sidebar). */
  location?: string
}

interface ActionInput {
  form: FormFields
  simulator: Simulator
  ctx: Context
  /** Where opening the console goes (demoConsole's `consoleUrl`). */
  consoleUrl: string
}

type DemoAction = (input: ActionInput) => Promise<Flash> | Flash

/** Field lengths in characters: WeCom's limits (wecom-protocol.md §3.6, §3.7), generous bounds elsewhere. The page uses them as maxlength. */
export const FIELD_LIMITS = { remark: 20, tagName: 30, state: 30, name: 64, id: 128, url: 2048 } as const
const { remark: REMARK_MAX, tagName: TAG_NAME_MAX, state: STATE_MAX, name: NAME_MAX, id: ID_MAX, url: URL_MAX } = FIELD_LIMITS

/** Forms post to `${basePath}${DEMO_ACTION_PREFIX}<action name>`. */
export const DEMO_ACTION_PREFIX = '/__demo/'

/** The forms, by action name. */
export const DEMO_ACTIONS: Record<string, DemoAction> = {
  'customer-adds-member': ({ form, simulator }) => {
    const member = requireMember(simulator.company, form)
    if (!member.customerContact) throw new FormProblem(`成员${memberLabel(member)}未开启客户联系，客户无法添加。`)
    const chosenId = form.optional('externalUserid', '客户', ID_MAX)
    const known = chosenId === '' ? undefined : requireCustomer(simulator.company, chosenId)
    const nickname = form.optional('name', '新客户昵称', NAME_MAX)
    if (!known && nickname === '') throw new FormProblem('请选择已有客户，或填写新客户的昵称。')
    const state = form.optional('state', '渠道参数 state', STATE_MAX)
    const existing = known && simulator.company.follow(member.userid, known.external_userid)
    if (existing && !existing.deletedByCustomer) throw new FormProblem(`客户${customerLabel(known)}已经是${memberLabel(member)}的好友。`)
    const customer = { external_userid: known?.external_userid ?? randomId('wm'), name: nickname || (known?.name ?? '') }
    return reportChange(`客户「${customer.name}」添加了成员${memberLabel(member)}`, () =>
      simulator.customerAddsMember({ userid: member.userid, customer, ...(state ? { state } : {}) }),
    )
  },

  // What the QR code's scan page posts, and the demo page's row of each way: a new customer every time.
  'customer-scans-contact-way': ({ form, simulator }) => {
    const { company } = simulator
    const way = requireContactWay(company, form)
    if (!contactWayMembers(company, way).some((userid) => canServeCustomers(company.users.get(userid)))) {
      throw new FormProblem(`「联系我」${contactWayLabel(way)}没有能接待客户的成员（需已激活并开启客户联系）。`)
    }
    const name = form.optional('name', '客户昵称', NAME_MAX) || `扫码客户${randomInt(1000, 10_000)}`
    const externalUserid = randomId('wm')
    // Which member took the customer is known only once the way has handed them out.
    const takenBy = () => {
      const userid = company.followsByCustomer.get(externalUserid)?.keys().next().value
      const member = userid === undefined ? undefined : company.users.get(userid)
      return member ? memberLabel(member) : '成员'
    }
    return reportChange(
      () => `客户「${name}」扫描了「联系我」${contactWayLabel(way)}，添加了${takenBy()}（${way.skip_verify ? '免验证' : '成员已通过验证'}）`,
      () => simulator.customerScansContactWay({ configId: way.config_id, customer: { external_userid: externalUserid, name } }),
    )
  },

  'member-edits-customer': ({ form, simulator }) => {
    const { member, customer } = requireFollow(simulator.company, form)
    const remark = form.optional('remark', '备注', REMARK_MAX)
    const addTag = optionalTag(simulator.company, form, 'addTagId')
    const removeTag = optionalTag(simulator.company, form, 'removeTagId')
    if (remark === '' && !addTag && !removeTag) throw new FormProblem('请填写新备注，或选择要添加或移除的标签。')
    const changes = [remark && `备注改为「${remark}」`, addTag && `添加标签「${addTag.name}」`, removeTag && `移除标签「${removeTag.name}」`]
    return reportChange(`${memberLabel(member)}编辑了客户${customerLabel(customer)}：${changes.filter(Boolean).join('，')}`, () =>
      simulator.memberEditsCustomer({
        userid: member.userid,
        externalUserid: customer.external_userid,
        ...(remark ? { remark } : {}),
        ...(addTag ? { addTagIds: [addTag.id] } : {}),
        ...(removeTag ? { removeTagIds: [removeTag.id] } : {}),
      }),
    )
  },

  'member-deletes-customer': ({ form, simulator }) => {
    const { member, customer } = requireFollow(simulator.company, form)
    return reportChange(`${memberLabel(member)}删除了客户${customerLabel(customer)}`, () =>
      simulator.memberDeletesCustomer({ userid: member.userid, externalUserid: customer.external_userid }),
    )
  },

  'customer-deletes-member': ({ form, simulator }) => {
    const { member, customer, follow } = requireFollow(simulator.company, form)
    if (follow.deletedByCustomer) throw new FormProblem(`客户${customerLabel(customer)}已经删除了${memberLabel(member)}。`)
    return reportChange(`客户${customerLabel(customer)}删除了成员${memberLabel(member)}`, () =>
      simulator.customerDeletesMember({ userid: member.userid, externalUserid: customer.external_userid }),
    )
  },

  'admin-creates-tag': ({ form, simulator }) => {
    const groupName = form.required('groupName', '标签组名称', TAG_NAME_MAX)
    const tagName = form.required('tagName', '标签名称', TAG_NAME_MAX)
    const group = simulator.company.groupByName(groupName)
    if (group && simulator.company.tagsOfGroup(group.group_id).some((tag) => tag.name === tagName)) {
      throw new FormProblem(`标签组「${groupName}」中已有标签「${tagName}」。`)
    }
    return reportChange(`管理员在标签组「${groupName}」中新建了标签「${tagName}」`, () => simulator.adminCreatesTag({ groupName, tagName }))
  },

  'admin-renames-tag': ({ form, simulator }) => {
    const target = requireTagOrGroup(simulator.company, form)
    const name = form.required('name', '新名称', TAG_NAME_MAX)
    if (nameTaken(simulator.company, target, name)) throw new FormProblem(`已有同名的${target.kind}「${name}」。`)
    return reportChange(`管理员把${target.kind}「${target.name}」改名为「${name}」`, () => simulator.adminRenamesTag({ tagId: target.id, name }))
  },

  'admin-deletes-tag': ({ form, simulator }) => {
    const target = requireTagOrGroup(simulator.company, form)
    return reportChange(`管理员删除了${target.kind}「${target.name}」`, () => simulator.adminDeletesTag({ tagId: target.id }))
  },

  'admin-updates-member': ({ form, simulator }) => {
    const member = requireMember(simulator.company, form)
    const before = memberLabel(member)
    const name = form.optional('name', '新姓名', NAME_MAX)
    const departmentId = form.optional('department', '部门', ID_MAX)
    const department = departmentId === '' ? undefined : simulator.company.departments.get(Number(departmentId))
    if (departmentId !== '' && !department) throw new FormProblem(`没有部门「${departmentId}」。`)
    if (name === '' && !department) throw new FormProblem('请填写新姓名，或选择新部门。')
    const changes = [name && `姓名改为「${name}」`, department && `部门改为「${department.name}」`]
    return reportChange(`管理员修改了成员${before}：${changes.filter(Boolean).join('，')}`, () =>
      simulator.adminUpdatesMember({ userid: member.userid, ...(name ? { name } : {}), ...(department ? { department: [department.id] } : {}) }),
    )
  },

  'open-sidebar': ({ form, simulator, ctx }) => {
    const member = requireMember(simulator.company, form)
    const target = form.optional('externalUserid', '客户', ID_MAX)
    const cookie = { path: '/', sameSite: 'lax', httpOnly: true, secure: ctx.secure, overwrite: true } as const
    let chat: string
    if (target === 'group') chat = 'group_chat_tools|'
    else {
      const customer = requireCustomer(simulator.company, target)
      const follow = simulator.company.follow(member.userid, customer.external_userid)
      if (!follow) throw new FormProblem(`${memberLabel(member)}没有添加客户${customerLabel(customer)}，不能和他单聊。${followersHint(simulator.company, customer)}`)
      chat = `single_chat_tools|${customer.external_userid}`
    }
    ctx.cookies.set(OAUTH_USER_COOKIE, encodeURIComponent(member.userid), cookie)
    ctx.cookies.set(DEV_CHAT_COOKIE, encodeURIComponent(chat), cookie)
    return { kind: 'ok', text: '', location: '/sidebar/' }
  },

  'open-link': ({ form, simulator, ctx }) => {
    const member = requireMember(simulator.company, form)
    const url = form.required('url', '链接', URL_MAX)
    if (!isFollowableUrl(url)) throw new FormProblem('只能打开 http(s) 链接或本站的路径。')
    const cookie = { path: '/', sameSite: 'lax', httpOnly: true, secure: ctx.secure, overwrite: true } as const
    // The recipient's own WeCom client opens the link, logged in as them. A link to a customer
    // also puts this browser in the chat with them: the demo sidebar signs in only from a chat.
    ctx.cookies.set(OAUTH_USER_COOKIE, encodeURIComponent(member.userid), cookie)
    const linked = /#\/customer\/([^/?#]+)$/.exec(url)?.[1]
    const customer = linked === undefined ? undefined : simulator.company.customers.get(safeDecode(linked))
    if (customer) ctx.cookies.set(DEV_CHAT_COOKIE, encodeURIComponent(`single_chat_tools|${customer.external_userid}`), cookie)
    return { kind: 'ok', text: '', location: url }
  },

  // The console opened in this browser as the member: web login (and OAuth) recognise them by the same cookie.
  'open-console': ({ form, simulator, ctx, consoleUrl }) => {
    const member = requireMember(simulator.company, form)
    ctx.cookies.set(OAUTH_USER_COOKIE, encodeURIComponent(member.userid), { path: '/', sameSite: 'lax', httpOnly: true, secure: ctx.secure, overwrite: true })
    return { kind: 'ok', text: '', location: consoleUrl }
  },

  'oauth-user': ({ form, simulator, ctx }) => {
    const userid = form.optional('userid', '成员', ID_MAX)
    const cookie = { path: '/', sameSite: 'lax', httpOnly: true, secure: ctx.secure, overwrite: true } as const
    if (userid === '') {
      ctx.cookies.set(OAUTH_USER_COOKIE, null, cookie)
      return ok('已清除选择：OAuth 授权将使用模拟器的默认成员。')
    }
    const member = requireMember(simulator.company, form)
    // Cookie values allow only a narrow ASCII set; oauth.ts decodes it again.
    ctx.cookies.set(OAUTH_USER_COOKIE, encodeURIComponent(member.userid), cookie)
    return ok(`OAuth 授权将以成员${memberLabel(member)}的身份登录。`)
  },
}

/**
 * Runs a WeCom-side change and reports how its callback fared. CallbackNotDelivered means
 * the change itself happened, so the message says so instead of claiming a failure.
 */
async function reportChange(described: string | (() => string), change: () => Promise<number>): Promise<Flash> {
  // A function describes the change once it is made (who a 「联系我」 handed the customer to).
  const what = () => (typeof described === 'string' ? described : described())
  try {
    const status = await change()
    if (status >= 200 && status < 300) return ok(`${what()}。回调已送达 (${status})`)
    return error(`${what()}。回调已送达，但服务器答复了 HTTP ${status}，企业微信会视为失败并重试。`)
  } catch (caught) {
    if (!(caught instanceof CallbackNotDelivered)) throw caught
    if (caught.missingUrl) return error(`${what()}。但模拟器没有设置回调地址 (callbackUrl)，没有发出回调。`)
    return error(`${what()}。但回调未送达（${caught.reason}）。`)
  }
}

function ok(text: string): Flash {
  return { kind: 'ok', text }
}

function error(text: string): Flash {
  return { kind: 'error', text }
}

function memberLabel(user: SimUser): string {
  return `${user.name}（${user.userid}）`
}

function customerLabel(customer: SimCustomer): string {
  return `「${customer.name}」`
}

/** 「门店A」: a way by its remark, else its state, else the start of its config_id. */
export function contactWayLabel(way: SimContactWay): string {
  return `「${way.remark || way.state || way.config_id.slice(0, 8)}」`
}

function requireContactWay(company: SimCompany, form: FormFields): SimContactWay {
  const configId = form.required('configId', '「联系我」', ID_MAX)
  const way = company.contactWays.get(configId)
  if (!way) throw new FormProblem('这个「联系我」已不存在（可能已被删除），扫码无法添加。')
  return way
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Who does follow the customer, so a visitor who picked the wrong pair knows whom to pick. */
function followersHint(company: SimCompany, customer: SimCustomer): string {
  const followers = [...(company.followsByCustomer.get(customer.external_userid)?.values() ?? [])].flatMap((follow) => {
    const user = company.users.get(follow.userid)
    return user ? [memberLabel(user)] : []
  })
  return followers.length === 0 ? '没有成员添加这位客户。' : `请选择添加了这位客户的成员：${followers.join('、')}。`
}

function requireMember(company: SimCompany, form: FormFields): SimUser {
  const userid = form.required('userid', '成员', ID_MAX)
  const user = company.users.get(userid)
  if (!user) throw new FormProblem(`通讯录中没有成员「${userid}」。`)
  return user
}

function requireCustomer(company: SimCompany, externalUserid: string): SimCustomer {
  const customer = company.customers.get(externalUserid)
  if (!customer) throw new FormProblem(`没有客户「${externalUserid}」。`)
  return customer
}

function requireFollow(company: SimCompany, form: FormFields): { member: SimUser; customer: SimCustomer; follow: SimFollow } {
  const member = requireMember(company, form)
  const customer = requireCustomer(company, form.required('externalUserid', '客户', ID_MAX))
  const follow = company.follow(member.userid, customer.external_userid)
  if (!follow) throw new FormProblem(`成员${memberLabel(member)}与客户${customerLabel(customer)}之间没有好友关系。`)
  return { member, customer, follow }
}

function optionalTag(company: SimCompany, form: FormFields, field: string): SimTag | undefined {
  const id = form.optional(field, '标签', ID_MAX)
  if (id === '') return undefined
  const tag = company.tags.get(id)
  if (!tag) throw new FormProblem(`没有标签「${id}」，可能已被删除。`)
  return tag
}

type TagOrGroup =
  | { kind: '标签'; id: string; name: string; tag: SimTag }
  | { kind: '标签组'; id: string; name: string; group: SimTagGroup }

/** The tag or tag group the `tagId` field names; WeCom's tag events use one id space for both. */
function requireTagOrGroup(company: SimCompany, form: FormFields): TagOrGroup {
  const id = form.required('tagId', '标签或标签组', ID_MAX)
  const tag = company.tags.get(id)
  if (tag) return { kind: '标签', id, name: tag.name, tag }
  const group = company.tagGroups.get(id)
  if (group) return { kind: '标签组', id, name: group.group_name, group }
  throw new FormProblem(`没有标签或标签组「${id}」，可能已被删除。`)
}

/** WeCom keeps tag names unique within a group, and group names unique in the company. */
function nameTaken(company: SimCompany, target: TagOrGroup, name: string): boolean {
  if (target.kind === '标签') return company.tagsOfGroup(target.tag.group_id).some((tag) => tag.id !== target.id && tag.name === name)
  return [...company.tagGroups.values()].some((group) => group.group_id !== target.id && group.group_name === name)
}
