import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'
import { bigintAsNumber } from '../db/columns'

export const ORDER_STATUSES = ['paid', 'shipped', 'completed', 'refunded', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** A shop order; kept even when no customer matches yet, with the identities it came with. */
@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 32 }) platform!: string
  @Column({ type: 'varchar', length: 64 }) orderNo!: string
  @Column({ type: 'varchar', length: 16 }) status!: OrderStatus
  @Column({ type: 'datetime', precision: 3, nullable: true }) paidAt!: Date | null
  /** In fen (分), so sums stay exact. */
  @Column({ type: 'bigint', transformer: bigintAsNumber }) amountCents!: number
  @Column({ type: 'integer', nullable: true }) customerId!: number | null
  @Column({ type: 'varchar', length: 64, nullable: true }) externalUserid!: string | null
  @Column({ type: 'varchar', length: 64, nullable: true }) unionid!: string | null
  @Column({ type: 'varchar', length: 32, nullable: true }) phone!: string | null
  @Column({ type: 'varchar', length: 128, nullable: true }) buyerId!: string | null
  /** 'import', 'webhook:<source>' or 'manual'. */
  @Column({ type: 'varchar', length: 64 }) source!: string
  /** Of the items as last written ('' before any): an update bringing the same items skips them. */
  @Column({ type: 'varchar', length: 32, default: '' }) itemsDigest!: string
  /** When the source stated this version: an older one arriving later is not applied. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) versionAt!: Date | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

@Entity('order_items')
export class OrderItem {
  @PrimaryColumn({ type: 'integer' }) orderId!: number
  @PrimaryColumn({ type: 'integer' }) lineNo!: number
  @Column({ type: 'varchar', length: 255 }) name!: string
  @Column({ type: 'integer' }) quantity!: number
}

/** A shop system allowed to post orders to the webhook, with the secret that signs them. */
@Entity('order_sources')
export class OrderSource {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 32 }) name!: string
  @Column({ type: 'varchar', length: 32 }) platform!: string
  @Column({ type: 'varchar', length: 64 }) secret!: string
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3, nullable: true }) rotatedAt!: Date | null
  /** When its last order arrived through the webhook; null before the first. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) lastOrderAt!: Date | null
}

export const WAIT_KINDS = ['external_userid', 'unionid', 'phone', 'buyer_id'] as const
export type WaitKind = (typeof WAIT_KINDS)[number]

/** An identity of an order no customer matched yet: what late matching looks up. */
@Entity('order_waits')
export class OrderWait {
  @PrimaryColumn({ type: 'integer' }) orderId!: number
  @PrimaryColumn({ type: 'varchar', length: 16 }) kind!: WaitKind
  @Column({ type: 'varchar', length: 32, default: '' }) platform!: string
  @Column({ type: 'varchar', length: 128 }) value!: string
}
