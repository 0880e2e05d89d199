import { contactWayLabel, DEMO_ACTION_PREFIX, FIELD_LIMITS, type Flash } from './demoActions'
import { DEMO_PAGE_SCRIPT_PATH } from './demoPageScript'
import { renderAppMessages, renderRobotMessages, renderWelcomeMessages } from './demoMessages'
import { escapeHtml } from '../html'
import { CONTACT_WAY_QR_PREFIX, CONTACT_WAY_SCAN_PATH } from '../api/contactWayApi'
import type { AppMessageRecord, RobotMessageRecord } from '../api/messageApi'
import type { SimCompany, SimContactWay, SimCustomer, SimFollow, SimUser, SimUserStatus } from '../api/state'
import type { WelcomeMessageRecord } from '../api/welcomeApi'

/**
 * The demo page: demo mode's "WeCom console" for a visitor. Server-rendered HTML that works
 * without scripts (one served file, demoPageScript.ts, only narrows the customer lists);
 * every value is escaped because nicknames, remarks and messages are attacker-controlled.
 * It shows only what a WeCom admin would see: never the secret, token, aesKey, tokens or tickets.
 */

/** Everything the page shows; nothing secret is passed in, so nothing secret can leak out. */
export interface ConsoleShortcut {
  userid: string
  /** The button's text, e.g. 以运营身份打开后台（陈静）. */
  label: string
}

export interface DemoPageView {
  basePath: string
  corpId: string
  agentId: number
  callbackUrl: string | undefined
  company: SimCompany
  appMessages: readonly AppMessageRecord[]
  robotMessages: readonly RobotMessageRecord[]
  welcomeMessages: readonly WelcomeMessageRecord[]
  /** Who the OAuth authorize step logs in as for this browser (cookie, else the simulator's default). */
  oauthUser: string | null
  /** Members the page offers to open the console as, in one click (the demo names its operator and manager). */
  consoleShortcuts: readonly ConsoleShortcut[]
  flash: Flash | undefined
}

const STATUS_TEXT: Record<SimUserStatus, string> = { 1: '已激活', 2: '已禁用', 4: '未激活', 5: '已退出' }

/** The whole page as an HTML document. */
export function renderDemoPage(view: DemoPageView): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业微信模拟器 · 演示控制台</title>
<style>${STYLE}</style>
<script src="${escapeHtml(`${view.basePath}${DEMO_PAGE_SCRIPT_PATH}`)}" defer></script>
</head>
<body>
<header>
<h1>企业微信模拟器 · 演示控制台</h1>
<p>演示模式中的“企业微信”：查看模拟企业的成员与客户，在企业微信一侧做变更（以真实的加密回调通知我们的服务器），查看我们的应用和群机器人发出的消息。</p>
<nav aria-label="页面目录"><a href="#oauth">我是谁</a> <a href="#changes">企业微信侧变更</a> <a href="#members">成员</a> <a href="#customers">客户</a> <a href="#tags">标签</a> <a href="#contact-ways">「联系我」</a> <a href="#app-messages">应用消息</a> <a href="#robot-messages">群机器人消息</a> <a href="#welcome-messages">欢迎语</a></nav>
</header>
<main>
${renderFlash(view.flash)}
${renderOverview(view)}
${renderOauthSection(view)}
${renderChangeForms(view)}
${renderMembers(view.company)}
${renderCustomers(view.company)}
${renderTags(view.company)}
${renderContactWays(view.basePath, view.company)}
${renderAppMessages(view.basePath, view.company, view.appMessages)}
${renderRobotMessages(view.basePath, view.company, view.robotMessages)}
${renderWelcomeMessages(view.company, view.welcomeMessages)}
</main>
</body>
</html>
`
}

function renderFlash(flash: Flash | undefined): string {
  if (!flash) return ''
  return `<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${escapeHtml(flash.text)}</p>`
}

function renderOverview({ corpId, agentId, callbackUrl }: DemoPageView): string {
  const callback = callbackUrl
    ? `<code>${escapeHtml(callbackUrl)}</code>`
    : '<strong class="warn">未设置回调地址 (callbackUrl)：下面的变更只改模拟器的数据，不会通知我们的服务器。</strong>'
  return `<section id="overview" aria-label="概况">
<dl class="facts"><dt>企业 ID (CorpID)</dt><dd><code>${escapeHtml(corpId)}</code></dd><dt>应用 AgentID</dt><dd><code>${escapeHtml(agentId)}</code></dd><dt>回调地址</dt><dd>${callback}</dd></dl>
</section>`
}

function renderOauthSection({ basePath, company, oauthUser, consoleShortcuts }: DemoPageView): string {
  const chosen = oauthUser === null ? undefined : company.users.get(oauthUser)
  const current =
    oauthUser === null
      ? '未选择：OAuth 授权会失败，请先选择一位成员。'
      : chosen
        ? memberName(chosen)
        : `「${oauthUser}」不在通讯录中，OAuth 授权会失败。`
  const options = [...company.users.values()]
    .map((user) => `<option value="${escapeHtml(user.userid)}"${user.userid === oauthUser ? ' selected' : ''}>${escapeHtml(memberName(user))}</option>`)
    .join('')
  return `<section id="oauth">
<h2>我是谁（OAuth 登录身份）</h2>
<p>当前身份：<strong>${escapeHtml(current)}</strong></p>
<p class="hint">企业微信在 OAuth 授权时会认出“正在使用客户端的成员”。在这里选择后，本浏览器里的授权都会以该成员登录（保存在 cookie 中）。</p>
${actionForm(basePath, 'oauth-user', '选择成员', `<label>成员 <select name="userid"><option value="">（清除选择）</option>${options}</select></label>`, '设为当前身份')}
${actionForm(
  basePath,
  'open-sidebar',
  '打开聊天侧边栏',
  `<p class="hint">以所选成员的身份，在与他的一位客户的单聊（或一个客户群）中打开客户助手。</p>${followPicker(company, { customerLabel: '聊天', extra: '<option value="group">（一个客户群）</option>' })}`,
  '在侧边栏中打开',
  { followFilter: true },
)}
${actionForm(
  basePath,
  'open-console',
  '打开客户管理后台',
  `<p class="hint">以所选成员的身份登录后台（电脑浏览器里走企业微信网页登录）。</p><label>成员 <select name="userid" required>${memberOptions(company)}</select></label>`,
  '在后台中打开',
)}
${consoleShortcuts
  .map(
    (shortcut) =>
      `<form method="post" action="${escapeHtml(`${basePath}${DEMO_ACTION_PREFIX}open-console`)}"><input type="hidden" name="userid" value="${escapeHtml(shortcut.userid)}"><button type="submit">${escapeHtml(shortcut.label)}</button></form>`,
  )
  .join('')}
</section>`
}

function renderChangeForms({ basePath, company }: DemoPageView): string {
  const member = (label = '成员') => `<label>${label} <select name="userid" required>${memberOptions(company)}</select></label>`
  const follow = followPicker(company)
  const tagOrGroup = `<label>标签或标签组 <select name="tagId" required>${tagOptions(company, { withGroups: true })}</select></label>`
  const groupNames = [...company.tagGroups.values()].map((group) => `<option value="${escapeHtml(group.group_name)}"></option>`).join('')
  const departments = [...company.departments.values()].map((department) => `<option value="${escapeHtml(department.id)}">${escapeHtml(department.name)}</option>`).join('')
  const forms = [
    actionForm(
      basePath,
      'customer-adds-member',
      '客户添加成员（扫码加好友）',
      `${member()}<label>客户 <select name="externalUserid"><option value="">（新客户）</option>${customerOptions(company)}</select></label>` +
        `${textInput('name', '新客户昵称', FIELD_LIMITS.name, '选择“新客户”时必填')}${textInput('state', '渠道参数 state', FIELD_LIMITS.state, '可选，如 store-qr')}`,
      '发送回调',
    ),
    actionForm(
      basePath,
      'member-edits-customer',
      '成员编辑客户（备注、标签）',
      `${follow}${textInput('remark', '新备注', FIELD_LIMITS.remark, '留空则不修改')}` +
        `<label>添加标签 <select name="addTagId"><option value="">（不添加）</option>${tagOptions(company)}</select></label>` +
        `<label>移除标签 <select name="removeTagId"><option value="">（不移除）</option>${tagOptions(company)}</select></label>`,
      '发送回调',
      { followFilter: true },
    ),
    actionForm(basePath, 'member-deletes-customer', '成员删除客户', follow, '发送回调', { followFilter: true }),
    actionForm(basePath, 'customer-deletes-member', '客户删除成员', follow, '发送回调', { followFilter: true }),
    actionForm(
      basePath,
      'admin-creates-tag',
      '管理员新建标签',
      `${textInput('groupName', '标签组名称', FIELD_LIMITS.tagName, '已有或新的标签组', { required: true, list: 'tag-group-names' })}<datalist id="tag-group-names">${groupNames}</datalist>` +
        textInput('tagName', '标签名称', FIELD_LIMITS.tagName, '', { required: true }),
      '发送回调',
    ),
    actionForm(basePath, 'admin-renames-tag', '管理员重命名标签或标签组', `${tagOrGroup}${textInput('name', '新名称', FIELD_LIMITS.tagName, '', { required: true })}`, '发送回调'),
    actionForm(basePath, 'admin-deletes-tag', '管理员删除标签或标签组', tagOrGroup, '发送回调'),
    actionForm(
      basePath,
      'admin-updates-member',
      '管理员修改成员',
      `${member()}${textInput('name', '新姓名', FIELD_LIMITS.name, '留空则不修改')}<label>新部门 <select name="department"><option value="">（不修改）</option>${departments}</select></label>`,
      '发送回调',
    ),
  ]
  return `<section id="changes">
<h2>企业微信侧的变更</h2>
<p class="hint">这些是在企业微信客户端或管理后台里发生的事。提交后模拟器修改自己的数据，并把对应事件加密签名后回调给我们的服务器。</p>
<div class="forms">${forms.join('\n')}</div>
</section>`
}

function renderMembers(company: SimCompany): string {
  const rows = [...company.users.values()].map((user) => {
    const departments = user.department.map((id) => company.departments.get(id)?.name ?? `#${id}`).join('、')
    const contact = user.customerContact ? '<span class="on">开启</span>' : '<span class="off">未开启</span>'
    return `<tr><td><code>${escapeHtml(user.userid)}</code></td><td>${escapeHtml(user.name)}</td><td>${escapeHtml(departments)}</td><td>${escapeHtml(user.position)}</td><td>${contact}</td><td>${escapeHtml(STATUS_TEXT[user.status])}</td><td>${company.followsOfUser(user.userid).length}</td></tr>`
  })
  return `<section id="members">
<h2>成员（${company.users.size}）</h2>
<table><thead><tr><th scope="col">账号</th><th scope="col">姓名</th><th scope="col">部门</th><th scope="col">职务</th><th scope="col">客户联系</th><th scope="col">状态</th><th scope="col">客户数</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</section>`
}

function renderCustomers(company: SimCompany): string {
  const rows = [...company.customers.values()].map((customer) => {
    const follows = [...(company.followsByCustomer.get(customer.external_userid)?.values() ?? [])]
    const followList = follows.length === 0 ? '<span class="muted">没有跟进成员</span>' : `<ul>${follows.map((follow) => renderFollow(company, follow)).join('')}</ul>`
    return `<tr><td>${escapeHtml(customer.name)}<br><code>${escapeHtml(customer.external_userid)}</code></td><td>${customerType(customer)}</td><td>${followList}</td></tr>`
  })
  return `<section id="customers">
<h2>客户（${company.customers.size}）</h2>
<table><thead><tr><th scope="col">客户</th><th scope="col">类型</th><th scope="col">跟进成员、备注与标签</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</section>`
}

function renderFollow(company: SimCompany, follow: SimFollow): string {
  const user = company.users.get(follow.userid)
  const who = user ? memberName(user) : `${follow.userid}（已不在通讯录）`
  const tags = follow.tagIds.map((id) => company.tags.get(id)?.name ?? id)
  const parts = [
    `<strong>${escapeHtml(who)}</strong>`,
    follow.remark ? `备注「${escapeHtml(follow.remark)}」` : '',
    tags.length > 0 ? `标签：${tags.map((tag) => `<span class="tag">${escapeHtml(tag)}</span>`).join('')}` : '',
    follow.deletedByCustomer ? '<span class="badge">客户已删除该成员</span>' : '',
  ]
  return `<li>${parts.filter(Boolean).join(' ')}</li>`
}

function renderTags(company: SimCompany): string {
  const groups = [...company.tagGroups.values()].sort((a, b) => b.order - a.order)
  const items = groups.map((group) => {
    const tags = company
      .tagsOfGroup(group.group_id)
      .sort((a, b) => b.order - a.order)
      .map((tag) => `<span class="tag">${escapeHtml(tag.name)} <code>${escapeHtml(tag.id)}</code></span>`)
    return `<li><strong>${escapeHtml(group.group_name)}</strong> <code>${escapeHtml(group.group_id)}</code><div>${tags.join('')}</div></li>`
  })
  return `<section id="tags">
<h2>企业客户标签</h2>
${items.length === 0 ? '<p class="muted">还没有标签。</p>' : `<ul class="plain">${items.join('\n')}</ul>`}
</section>`
}

/** The ways our server created through the API, each with a "customer scans" form (a new customer every time). */
function renderContactWays(basePath: string, company: SimCompany): string {
  const rows = [...company.contactWays.values()].map((way) => {
    const remark = way.remark ? escapeHtml(way.remark) : '<span class="muted">（无备注）</span>'
    const state = way.state ? `<code>${escapeHtml(way.state)}</code>` : '<span class="muted">（无）</span>'
    const how = `${way.type === 1 ? '单人' : '多人'} · ${way.skip_verify ? '免验证' : '需成员通过'}`
    const qr =
      way.scene === 2
        ? `<a href="${escapeHtml(scanPageUrl(basePath, way))}"><img src="${escapeHtml(`${basePath}${CONTACT_WAY_QR_PREFIX}${way.config_id}.png`)}" alt="${escapeHtml(`「联系我」${contactWayLabel(way)}的二维码`)}" width="96" height="96"></a>`
        : '<span class="muted">小程序按钮</span>'
    return `<tr><td>${remark}<br><code>${escapeHtml(way.config_id)}</code></td><td>${state}</td><td>${escapeHtml(contactWayMemberNames(company, way))}</td><td>${escapeHtml(how)}</td><td>${qr}</td><td>${scanForm(basePath, way)}</td></tr>`
  })
  return `<section id="contact-ways">
<h2>「联系我」（${company.contactWays.size}）</h2>
<p class="hint">我们的服务器通过接口创建的渠道活码。客户扫码后，模拟器把客户交给码上的成员（多人的码轮流分配），并回调我们的服务器：免验证的码发 add_half_external_contact，否则发 add_external_contact，都带上渠道参数 state。</p>
${
  rows.length === 0
    ? '<p class="muted">我们的服务器还没有创建「联系我」。</p>'
    : `<table><thead><tr><th scope="col">备注</th><th scope="col">渠道参数 state</th><th scope="col">成员</th><th scope="col">添加方式</th><th scope="col">二维码</th><th scope="col">客户扫码</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`
}
</section>`
}

/** What a phone opens on scanning a way's QR code: the way, and the button that adds its member. */
export function renderScanPage(basePath: string, company: SimCompany, way: SimContactWay): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>添加企业微信联系人（模拟器）</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>添加企业微信联系人</h1><p>你用微信扫描了「联系我」二维码${escapeHtml(contactWayLabel(way))}。</p></header>
<main>
<section>
<p>接待成员：${escapeHtml(contactWayMemberNames(company, way))}</p>
${scanForm(basePath, way)}
<p><a href="${escapeHtml(`${basePath}/#contact-ways`)}">返回演示控制台</a></p>
</section>
</main>
</body>
</html>
`
}

function scanPageUrl(basePath: string, way: SimContactWay): string {
  return `${basePath}${CONTACT_WAY_SCAN_PATH}?${new URLSearchParams({ config_id: way.config_id })}`
}

function scanForm(basePath: string, way: SimContactWay): string {
  return `<form method="post" action="${escapeHtml(`${basePath}${DEMO_ACTION_PREFIX}customer-scans-contact-way`)}"><input type="hidden" name="configId" value="${escapeHtml(way.config_id)}">${textInput('name', '客户昵称', FIELD_LIMITS.name, '留空则随机生成')}<button type="submit" aria-label="${escapeHtml(`新客户扫描「联系我」${contactWayLabel(way)}`)}">客户扫码</button></form>`
}

/** 张三（zhangsan）、部门「销售部」: the way's users, then its departments. */
function contactWayMemberNames(company: SimCompany, way: SimContactWay): string {
  const users = way.user.map((userid) => {
    const user = company.users.get(userid)
    return user ? memberName(user) : `${userid}（已不在通讯录）`
  })
  const parties = way.type === 2 ? way.party.map((id) => `部门「${company.departments.get(id)?.name ?? `#${id}`}」`) : []
  return [...users, ...parties].join('、')
}

/** A POST form to one demo action; `fields` is already-escaped HTML. `followFilter`: the page script narrows its customers to the member's. */
function actionForm(basePath: string, action: string, title: string, fields: string, button: string, { followFilter = false } = {}): string {
  return `<form method="post" action="${escapeHtml(`${basePath}${DEMO_ACTION_PREFIX}${action}`)}"${followFilter ? ' data-follow-filter' : ''}><fieldset><legend>${escapeHtml(title)}</legend>${fields}<button type="submit">${escapeHtml(button)}</button></fieldset></form>`
}

function textInput(name: string, label: string, maxChars: number, placeholder: string, { required = false, list = '' } = {}): string {
  const attributes = [
    `name="${escapeHtml(name)}"`,
    `maxlength="${maxChars}"`,
    placeholder ? `placeholder="${escapeHtml(placeholder)}"` : '',
    list ? `list="${escapeHtml(list)}"` : '',
    required ? 'required' : '',
  ]
  return `<label>${escapeHtml(label)} <input type="text" ${attributes.filter(Boolean).join(' ')}></label>`
}

function memberOptions(company: SimCompany): string {
  return [...company.users.values()].map((user) => `<option value="${escapeHtml(user.userid)}">${escapeHtml(memberName(user))}</option>`).join('')
}

/**
 * A member and one of their customers, chosen by default so that the form works as it
 * stands: the first member with a customer, and that customer. Each customer option names
 * its members (data-followers) for the page script; the server still checks the pair.
 */
function followPicker(company: SimCompany, { customerLabel = '客户', extra = '' } = {}): string {
  const first = [...company.users.values()].map((user) => company.followsOfUser(user.userid)[0]).find((follow) => follow !== undefined)
  const members = [...company.users.values()]
    .map((user) => `<option value="${escapeHtml(user.userid)}"${user.userid === first?.userid ? ' selected' : ''}>${escapeHtml(memberName(user))}</option>`)
    .join('')
  const customers = [...company.customers.values()]
    .map((customer) => {
      const followers = [...(company.followsByCustomer.get(customer.external_userid)?.keys() ?? [])]
      const selected = customer.external_userid === first?.external_userid ? ' selected' : ''
      return `<option value="${escapeHtml(customer.external_userid)}" data-followers="${escapeHtml(followers.join(' '))}"${selected}>${escapeHtml(`${customer.name}（${customer.external_userid}）`)}</option>`
    })
    .join('')
  return `<label>成员 <select name="userid" required>${members}</select></label><label>${escapeHtml(customerLabel)} <select name="externalUserid" required>${customers}${extra}</select></label>`
}

function customerOptions(company: SimCompany): string {
  return [...company.customers.values()]
    .map((customer) => `<option value="${escapeHtml(customer.external_userid)}">${escapeHtml(`${customer.name}（${customer.external_userid}）`)}</option>`)
    .join('')
}

function tagOptions(company: SimCompany, { withGroups = false } = {}): string {
  return [...company.tagGroups.values()]
    .map((group) => {
      const tags = company.tagsOfGroup(group.group_id).map((tag) => `<option value="${escapeHtml(tag.id)}">${escapeHtml(tag.name)}</option>`)
      const whole = withGroups ? `<option value="${escapeHtml(group.group_id)}">${escapeHtml(`整个标签组「${group.group_name}」`)}</option>` : ''
      return `<optgroup label="${escapeHtml(group.group_name)}">${whole}${tags.join('')}</optgroup>`
    })
    .join('')
}

/** 张三（zhangsan）: how the page names a member everywhere. */
export function memberName(user: SimUser): string {
  return `${user.name}（${user.userid}）`
}

function customerType(customer: SimCustomer): string {
  return customer.type === 2 ? '企业微信用户' : '微信用户'
}

const STYLE = `
body{font:14px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2329;background:#f5f6f7}
header{background:#1f6feb;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}header p{margin:0 0 8px}
nav a{color:#fff;margin-right:12px}main{padding:16px 24px;max-width:1200px}
section{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:16px}h2{font-size:17px;margin:4px 0 12px}h3{font-size:15px;margin:0 0 4px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e5e6eb;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td ul{margin:0;padding-left:18px}code{font-size:12px;color:#646a73}
.forms{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
fieldset{border:1px solid #dee0e3;border-radius:6px;margin:0;height:100%;box-sizing:border-box}legend{font-weight:600}
label{display:block;margin:4px 0}select,input{display:block;width:100%;box-sizing:border-box;margin-top:2px;padding:4px}
button{margin-top:8px;padding:5px 14px;background:#1f6feb;color:#fff;border:0;border-radius:4px;cursor:pointer}
.flash{padding:10px 14px;border-radius:6px;font-weight:600}.flash.ok{background:#e8f7ee;color:#116b34}.flash.error{background:#fdecec;color:#a8071a}
.warn,.off{color:#a8071a}.on{color:#116b34}.muted,.hint{color:#646a73}
.tag{display:inline-block;background:#eef3ff;border-radius:4px;padding:0 6px;margin:2px 4px 2px 0}
.badge{background:#fff1e6;color:#ad4e00;border-radius:4px;padding:0 6px}
.placeholder{border:1px dashed #c9cdd4;border-radius:6px;padding:8px 12px;margin-top:12px;color:#646a73}
.plain{list-style:none;padding:0}.plain li{margin-bottom:8px}
.message{border-top:1px solid #e5e6eb;padding:8px 0}
.card{border:1px solid #dee0e3;border-radius:6px;padding:8px 12px;max-width:420px}.card-body{margin:4px 0}.card-gray{color:#8f959e}.card-highlight{color:#f54a45}.card-normal{color:#1f2329}
.card-action{display:inline-block;margin-right:8px}.card-button{display:inline-block;margin-top:8px}
.markdown blockquote{margin:2px 0;padding-left:8px;border-left:3px solid #dee0e3;color:#646a73}.md-h1,.md-h2,.md-h3,.md-h4,.md-h5,.md-h6{font-weight:600}.md-h1{font-size:18px}.md-h2{font-size:16px}
.md-info{color:#2ea121}.md-comment{color:#8f959e}.md-warning{color:#ff7d00}.mention{color:#1f6feb}.message pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0;font:inherit}.attachments{margin:4px 0;padding-left:18px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}.facts dt{color:#646a73}.facts dd{margin:0}
`
