import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'
import { jsonText } from '../db/columns'

/** A link card after a welcome's text (send_welcome_msg's `link` attachment). */
export interface WelcomeLink {
  title: string
  url: string
  desc?: string
  picurl?: string
}

export const CHANNEL_WECOM_STATUSES = ['creating', 'active', 'gone'] as const
export type ChannelWecomStatus = (typeof CHANNEL_WECOM_STATUSES)[number]

/** A channel (渠道活码, server/channels/): a place customers come from, with its own 「联系我」 way in WeCom. */
@Entity('channels')
export class Channel {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64 }) name!: string
  @Column({ type: 'varchar', length: 16 }) platform!: string
  /** The 「联系我」 state WeCom echoes on each add: this channel's, for good. */
  @Column({ type: 'varchar', length: 30 }) state!: string
  @Column({ type: 'boolean', default: true }) skipVerify!: boolean
  @Column({ type: 'text', nullable: true }) welcomeText!: string | null
  @Column({ type: 'text', nullable: true, transformer: jsonText }) welcomeLink!: WelcomeLink | null
  @Column({ type: 'integer', nullable: true }) welcomeImageId!: number | null
  @Column({ type: 'varchar', length: 255, default: '' }) note!: string
  @Column({ type: 'varchar', length: 16 }) wecomStatus!: ChannelWecomStatus
  @Column({ type: 'varchar', length: 64, nullable: true }) configId!: string | null
  @Column({ type: 'varchar', length: 512, nullable: true }) qrCode!: string | null
  @Column({ type: 'varchar', length: 128, nullable: true }) claimedBy!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
  @Column({ type: 'varchar', length: 64, nullable: true }) requestKey!: string | null
  @Column({ type: 'integer', nullable: true }) createdByMemberId!: number | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
  @Column({ type: 'datetime', precision: 3, nullable: true }) deletedAt!: Date | null
}

/** A member a channel's QR code adds customers to (WeCom spreads them among several). */
@Entity('channel_members')
export class ChannelMember {
  @PrimaryColumn({ type: 'integer' }) channelId!: number
  @PrimaryColumn({ type: 'integer' }) memberId!: number
}

/** A corp tag marked on every customer who arrives through the channel. */
@Entity('channel_tags')
export class ChannelTag {
  @PrimaryColumn({ type: 'integer' }) channelId!: number
  @PrimaryColumn({ type: 'integer' }) tagId!: number
}

/** An image a welcome carries, and its current temporary media id in WeCom (3 days). */
@Entity('media_assets')
export class MediaAsset {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 128 }) fileName!: string
  @Column({ type: 'varchar', length: 32 }) contentType!: string
  @Column({ type: 'integer' }) byteLength!: number
  @Column({ type: 'varchar', length: 64 }) sha256!: string
  @Column({ type: 'text', select: false }) contentBase64!: string
  @Column({ type: 'varchar', length: 128, nullable: true }) mediaId!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) uploadedAt!: Date | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}

/** The company's welcome for adds that came through no channel: the one row, id 1. */
@Entity('default_welcome')
export class DefaultWelcome {
  @PrimaryColumn({ type: 'integer' }) id!: number
  @Column({ type: 'text', nullable: true }) welcomeText!: string | null
  @Column({ type: 'text', nullable: true, transformer: jsonText }) welcomeLink!: WelcomeLink | null
  @Column({ type: 'integer', nullable: true }) welcomeImageId!: number | null
  @Column({ type: 'integer', nullable: true }) updatedByMemberId!: number | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) updatedAt!: Date | null
}

/** awaiting_consent: WeCom answered 41053; the customer's agreement (msg_audit_approved) brings a fresh code for it. */
export const WELCOME_OUTCOMES = ['sent', 'missed', 'taken', 'expired', 'failed', 'none', 'awaiting_consent'] as const
export type WelcomeOutcome = (typeof WELCOME_OUTCOMES)[number]

/** What became of one add event's welcome (server/processors/welcome.ts). */
@Entity('welcome_sends')
export class WelcomeSend {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) inboxEventId!: number
  @Column({ type: 'varchar', length: 64 }) userid!: string
  @Column({ type: 'varchar', length: 64 }) externalUserid!: string
  @Column({ type: 'integer', nullable: true }) channelId!: number | null
  @Column({ type: 'varchar', length: 16 }) outcome!: WelcomeOutcome
  @Column({ type: 'integer', nullable: true }) wecomCode!: number | null
  @Column({ type: 'datetime', precision: 3 }) eventAt!: Date
  @Column({ type: 'datetime', precision: 3 }) deadlineAt!: Date
  @Column({ type: 'datetime', precision: 3 }) finishedAt!: Date
}
