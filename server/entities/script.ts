import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'

@Entity('script_categories')
export class ScriptCategory {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64, }) name!: string
  @Column({ type: 'integer', default: 0 }) sortOrder!: number
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}

/** A templated reply (话术); `content` may hold the variables of SPEC §4.3. */
@Entity('scripts')
export class Script {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) categoryId!: number
  @Column({ type: 'varchar', length: 128 }) title!: string
  @Column({ type: 'text' }) content!: string
  /** Sends by the whole team. */
  @Column({ type: 'integer', default: 0 }) sendCount!: number
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

/**
 * Targeting: the script is suggested first to customers having a tag of this name.
 * By name, not id, so an import can target tags before they are mirrored from WeCom.
 */
@Entity('script_tag_targets')
export class ScriptTagTarget {
  @PrimaryColumn({ type: 'integer' }) scriptId!: number
  @PrimaryColumn({ type: 'varchar', length: 64 }) tagName!: string
}

/** Sends of one script by one member, for ranking suggestions. */
@Entity('script_member_usage')
export class ScriptMemberUsage {
  @PrimaryColumn({ type: 'integer' }) scriptId!: number
  @PrimaryColumn({ type: 'integer' }) memberId!: number
  @Column({ type: 'integer', default: 0 }) sendCount!: number
  @Column({ type: 'datetime', precision: 3 }) lastSentAt!: Date
}
