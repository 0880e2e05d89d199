import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'
import type { Stage } from '../api/contract'
import { jsonText } from '../db/columns'

/** A WeChat (or other corp's WeCom) user who added a member: WeCom's external contact. */
@Entity('customers')
export class Customer {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64, }) externalUserid!: string
  @Column({ type: 'varchar', length: 255 }) name!: string
  @Column({ type: 'varchar', length: 512, nullable: true }) avatar!: string | null
  /** 1 WeChat user, 2 WeCom user. */
  @Column({ type: 'integer', default: 1 }) type!: number
  /** 0 unknown, 1 male, 2 female. */
  @Column({ type: 'integer', default: 0 }) gender!: number
  @Column({ type: 'varchar', length: 64, nullable: true }) unionid!: string | null
  @Column({ type: 'varchar', length: 255, nullable: true }) corpName!: string | null
  @Column({ type: 'varchar', length: 255, nullable: true }) corpFullName!: string | null
  @Column({ type: 'varchar', length: 255, nullable: true }) position!: string | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

export const FOLLOW_STATUSES = ['active', 'deleted_by_member', 'deleted_by_customer'] as const
export type FollowStatus = (typeof FOLLOW_STATUSES)[number]

export { STAGES, type Stage } from '../api/contract'

/** A member following a customer: WeCom's follow_user entry, plus our follow-up state. */
@Entity('follow_relations')
export class FollowRelation {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) memberId!: number
  @Column({ type: 'integer' }) customerId!: number
  @Column({ type: 'varchar', length: 255, default: '' }) remark!: string
  @Column({ type: 'varchar', length: 1024, default: '' }) description!: string
  @Column({ type: 'varchar', length: 255, default: '' }) remarkCorpName!: string
  @Column({ type: 'text', transformer: jsonText }) remarkMobiles!: string[]
  /** WeCom add_way: 1 QR code, 2 mobile search, 3 card share, … 202 assigned by admin. */
  @Column({ type: 'integer', default: 0 }) addWay!: number
  @Column({ type: 'varchar', length: 64, default: '' }) operUserid!: string
  /** The 「联系我」 state: which channel brought the customer. */
  @Column({ type: 'varchar', length: 128, default: '' }) state!: string
  /** The channel of the first add we saw through one, kept; and of the latest (server/channels/arrival.ts). */
  @Column({ type: 'integer', nullable: true }) firstChannelId!: number | null
  @Column({ type: 'integer', nullable: true }) channelId!: number | null
  @Column({ type: 'datetime', precision: 3 }) addedAt!: Date
  @Column({ type: 'varchar', length: 24, default: 'active' }) status!: FollowStatus
  @Column({ type: 'datetime', precision: 3, nullable: true }) statusChangedAt!: Date | null
  @Column({ type: 'varchar', length: 16, nullable: true }) stage!: Stage | null
  /** Kept in step with the latest follow-up, so "overdue" is one indexed range scan. */
  @Column({ type: 'date', nullable: true }) nextFollowUpOn!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) lastFollowedUpAt!: Date | null
  /** When a full sync last saw this relation in WeCom. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) syncedAt!: Date | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

export const IDENTITY_KINDS = ['unionid', 'phone', 'buyer_id'] as const
export type IdentityKind = (typeof IDENTITY_KINDS)[number]

/** A customer's ID elsewhere: unionid, a phone, or a shop's buyer id on one platform. */
@Entity('customer_identities')
export class CustomerIdentity {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) customerId!: number
  @Column({ type: 'varchar', length: 16 }) kind!: IdentityKind
  /** The shop platform for buyer ids; '' for unionid and phone. */
  @Column({ type: 'varchar', length: 32, default: '' }) platform!: string
  @Column({ type: 'varchar', length: 128 }) value!: string
  /** Where the binding came from: 'wecom', 'remark_mobile', 'order', 'manual'. */
  @Column({ type: 'varchar', length: 16 }) source!: string
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}
