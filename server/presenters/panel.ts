import type { Panel, PanelCustomer, PanelFollow, RecentOrder, SuggestedScript, TagGroupState } from '../api/contract'
import type { CustomerPanel } from '../customers/panel'
import { orderStatusText, yuan } from '../rules/orders'
import { presentFollowUp } from './followUp'
import { maskPhone } from './phone'

/** GET /api/customers/:id/panel: what the sidebar shows, field by field, and nothing else of the rows. */
export function presentPanel(panel: CustomerPanel): Panel {
  return {
    customer: presentCustomer(panel.customer),
    follow: presentFollow(panel),
    followUps: panel.followUps.map((entry) => ({ ...presentFollowUp(entry), author: entry.author })),
    tagGroups: panel.tagGroups.map(presentTagGroup),
    orders: {
      recent: panel.recentOrders.map(presentOrder),
      totals: { count: panel.orderTotals.count, spent: yuan(panel.orderTotals.spentCents) },
    },
    scripts: panel.scripts.map(presentScript),
  }
}

function presentCustomer(customer: CustomerPanel['customer']): PanelCustomer {
  return { externalUserid: customer.externalUserid, name: customer.name, avatar: customer.avatar, type: customer.type, gender: customer.gender, corpName: customer.corpName }
}

function presentFollow({ follow, access }: CustomerPanel): PanelFollow {
  return {
    member: { userid: access.memberUserid, name: access.memberName },
    through: access.through,
    remark: follow.remark,
    description: follow.description,
    phones: follow.remarkMobiles.map(maskPhone),
    channel: follow.channel && { name: follow.channel.name, platform: follow.channel.platform },
    addWay: follow.addWay,
    addedAt: follow.addedAt.toISOString(),
    status: follow.status,
    stage: follow.stage,
    nextFollowUpOn: follow.nextFollowUpOn,
  }
}

function presentTagGroup(group: TagGroupState): TagGroupState {
  return { id: group.id, name: group.name, tags: group.tags.map((tag) => ({ id: tag.id, name: tag.name, marked: tag.marked })) }
}

function presentOrder(order: CustomerPanel['recentOrders'][number]): RecentOrder {
  return {
    platform: order.platform,
    orderNo: order.orderNo,
    status: order.status,
    statusText: orderStatusText(order.status),
    amount: yuan(order.amountCents),
    paidAt: order.paidAt?.toISOString() ?? null,
    items: order.items.map((item) => ({ name: item.name, quantity: item.quantity })),
  }
}

function presentScript(script: CustomerPanel['scripts'][number]): SuggestedScript {
  return { id: script.id, category: script.category, title: script.title, content: script.content, preview: script.preview, tagMatch: script.tagMatch }
}
