import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'

/** A customer group chat we heard of through change_external_chat. */
@Entity('group_chats')
export class GroupChat {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64 }) chatId!: string
  /** 'active' or 'dismissed'. */
  @Column({ type: 'varchar', length: 16 }) status!: string
  /** The ChangeType (and UpdateDetail) of the latest event applied. */
  @Column({ type: 'varchar', length: 32 }) lastChange!: string
  /** The CreateTime of that event: an older event arriving late changes nothing. */
  @Column({ type: 'datetime', precision: 3 }) changedAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

/** Where an interrupted long task (the full sync) stands, so that it resumes there. */
@Entity('sync_checkpoints')
export class SyncCheckpoint {
  @PrimaryColumn({ type: 'varchar', length: 32 }) name!: string
  @Column({ type: 'text' }) state!: string
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}
