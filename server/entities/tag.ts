import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'

/** A corp tag group, mirrored from WeCom. */
@Entity('tag_groups')
export class TagGroup {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64, }) wecomGroupId!: string
  @Column({ type: 'varchar', length: 64 }) name!: string
  /** WeCom's order: higher sorts first. */
  @Column({ type: 'integer', default: 0 }) sortOrder!: number
  /** Set for rule-group (规则组) tags. */
  @Column({ type: 'integer', nullable: true }) strategyId!: number | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

/** A corp tag, mirrored from WeCom. */
@Entity('tags')
export class Tag {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64, }) wecomTagId!: string
  @Column({ type: 'integer' }) groupId!: number
  @Column({ type: 'varchar', length: 64 }) name!: string
  @Column({ type: 'integer', default: 0 }) sortOrder!: number
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

/** A corp tag a member put on a customer (tags belong to the follow relation in WeCom). */
@Entity('follow_tags')
export class FollowTag {
  @PrimaryColumn({ type: 'integer' }) followRelationId!: number
  @PrimaryColumn({ type: 'integer' }) tagId!: number
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}
