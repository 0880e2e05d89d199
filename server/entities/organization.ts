import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm'
import { jsonText } from '../db/columns'

/** A WeCom department; the id is WeCom's. */
@Entity('departments')
export class Department {
  @PrimaryColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64 }) name!: string
  @Column({ type: 'integer', nullable: true }) parentId!: number | null
  @Column({ type: 'integer', default: 0 }) sortOrder!: number
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

export const MEMBER_STATUS = { active: 1, disabled: 2, inactive: 4, left: 5 } as const

/** A member of staff (WeCom userid). */
@Entity('members')
export class Member {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 64, }) userid!: string
  @Column({ type: 'varchar', length: 64 }) name!: string
  @Column({ type: 'varchar', length: 512, nullable: true }) avatar!: string | null
  @Column({ type: 'integer', nullable: true }) mainDepartmentId!: number | null
  /** WeCom member status: 1 active, 2 disabled, 4 inactive, 5 left. */
  @Column({ type: 'integer', default: 1 }) status!: number
  /** Listed by get_follow_user_list: has 客户联系 and is in the app's visible range. */
  @Column({ type: 'boolean', default: false }) isFollowUser!: boolean
  /** WeCom's direct_leader userids; manager links derive from them. */
  @Column({ type: 'text', nullable: true, transformer: jsonText }) directLeaders!: string[] | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}

/** Which departments a member is in, and whether they lead it (`is_leader_in_dept`). */
@Entity('member_departments')
export class MemberDepartment {
  @PrimaryColumn({ type: 'integer' }) memberId!: number
  @PrimaryColumn({ type: 'integer' }) departmentId!: number
  @Column({ type: 'boolean', default: false }) isLeader!: boolean
}

/** A member's manager, as derived from WeCom (`direct_leader`, else department leaders). */
@Entity('manager_links')
export class ManagerLink {
  @PrimaryColumn({ type: 'integer' }) memberId!: number
  @PrimaryColumn({ type: 'integer' }) managerId!: number
  /** 'override' (the console), 'direct_leader' or 'department_leader'. */
  @Column({ type: 'varchar', length: 24 }) source!: string
}

/** A manager set by the console; a member's overrides replace what WeCom says. */
@Entity('manager_overrides')
export class ManagerOverride {
  @PrimaryColumn({ type: 'integer' }) memberId!: number
  @PrimaryColumn({ type: 'integer' }) managerId!: number
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}
