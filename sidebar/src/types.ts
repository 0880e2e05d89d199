/** The shapes of our API, as the sidebar reads them (server/customers/panel.ts is the source). */
export interface Signature {
  timestamp: string
  nonceStr: string
  signature: string
}

export interface SessionInfo {
  member: { userid: string; name: string; isOperator: boolean }
  csrfToken: string
  wecom: { corpId: string; agentId: number }
  signatures?: { corp: Signature; agent: Signature }
}

export interface Panel {
  customer: { externalUserid: string; name: string; avatar: string | null; corpName: string | null }
  follow: {
    member: { userid: string; name: string }
    through: 'own' | 'report' | 'operator'
    remark: string
    description: string
    phones: string[]
    channel: string
    addedAt: string
    status: string
    stage: string | null
    nextFollowUpOn: string | null
  }
  followUps: { id: number; note: string; nextFollowUpOn: string | null; stage: string | null; author: string; createdAt: string }[]
  tagGroups: { id: number; name: string; tags: { id: number; name: string; marked: boolean }[] }[]
  orders: {
    recent: { platform: string; orderNo: string; status: string; statusText: string; amount: string; paidAt: string | null; items: { name: string; quantity: number }[] }[]
    totals: { count: number; spent: string }
  }
  scripts: { id: number; category: string; title: string; content: string; preview: { text: string; unresolved: string[] }; tagMatch: boolean }[]
}

export interface TodoItem {
  externalUserid: string
  name: string
  remark: string
  nextFollowUpOn: string | null
  addedAt: string
  kind: 'overdue' | 'today'
}

export const STAGES = ['新客户', '意向', '成交', '复购', '流失'] as const
