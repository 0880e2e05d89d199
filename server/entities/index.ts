// Entities are data. Indexes and unique keys live in migrations/, the one source of schema truth.
import { Customer, CustomerIdentity, FollowRelation } from './customer'
import { ActivityLog, FollowUp } from './followUp'
import { InboxEvent } from './inbox'
import { JobRun } from './job'
import { OutboxMessage } from './outbox'
import { ProcessorStep } from './processorStep'
import { Order, OrderItem, OrderSource, OrderWait } from './order'
import { Department, ManagerLink, ManagerOverride, Member, MemberDepartment } from './organization'
import { Script, ScriptCategory, ScriptMemberUsage, ScriptTagTarget } from './script'
import { FollowTag, Tag, TagGroup } from './tag'
import { WecomCredential } from './wecomCredential'
import { GroupChat, SyncCheckpoint } from './wecomState'
import { Session } from './session'
import { SyncRun } from './syncRun'
import { ReminderRulesRow, TeamRobot } from './reminderRules'
import { MemberDailyFigure } from './memberDailyFigure'
import { Channel, ChannelMember, ChannelTag, DefaultWelcome, MediaAsset, WelcomeSend } from './channel'

export * from './customer'
export * from './followUp'
export * from './inbox'
export * from './job'
export * from './outbox'
export * from './processorStep'
export * from './order'
export * from './organization'
export * from './script'
export * from './tag'
export * from './wecomCredential'
export * from './wecomState'
export * from './session'
export * from './syncRun'
export * from './reminderRules'
export * from './memberDailyFigure'
export * from './channel'

export const entities = [
  Department, Member, MemberDepartment, ManagerLink, ManagerOverride,
  Customer, FollowRelation, CustomerIdentity,
  TagGroup, Tag, FollowTag,
  Order, OrderItem, OrderSource, OrderWait,
  ScriptCategory, Script, ScriptTagTarget, ScriptMemberUsage,
  FollowUp, ActivityLog,
  InboxEvent, ProcessorStep,
  JobRun, OutboxMessage,
  WecomCredential,
  GroupChat, SyncCheckpoint, SyncRun,
  Session,
  ReminderRulesRow, TeamRobot,
  MemberDailyFigure,
  Channel, ChannelMember, ChannelTag, MediaAsset, DefaultWelcome, WelcomeSend,
]
