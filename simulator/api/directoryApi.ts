import type { ApiRequest, EndpointTable } from './apiRequest'
import { optionalInteger } from './apiRequest'
import { refuse } from './errors'
import type { SimCompany, SimDepartment, SimUser } from './state'

/** The address book: user/get and department/list. */
export function directoryEndpoints(company: SimCompany): EndpointTable {
  return {
    '/cgi-bin/user/get': {
      method: 'GET',
      token: true,
      handle({ query }: ApiRequest) {
        if (!query.userid) refuse(41009)
        const user = company.users.get(query.userid) ?? refuse(60111, `invalid string value \`${query.userid}\`. userid not found`)
        return presentUser(user)
      },
    },
    '/cgi-bin/department/list': {
      method: 'GET',
      token: true,
      handle({ query }: ApiRequest) {
        const rootId = optionalInteger(query.id, 'id')
        if (rootId !== undefined && !company.departments.has(rootId)) refuse(60123)
        const departments = rootId === undefined ? [...company.departments.values()] : subtree(company, rootId)
        return { department: departments.map((department) => presentDepartment(company, department)) }
      },
    },
  }
}

/** user/get's documented shape (wecom-protocol.md §3.4); gender is a string there. */
function presentUser(user: SimUser): Record<string, unknown> {
  return {
    userid: user.userid,
    name: user.name,
    department: user.department,
    order: user.order,
    position: user.position,
    mobile: user.mobile,
    gender: user.gender,
    email: user.email,
    is_leader_in_dept: user.is_leader_in_dept,
    direct_leader: user.direct_leader,
    avatar: user.avatar,
    thumb_avatar: user.avatar,
    telephone: '',
    alias: user.alias,
    address: '',
    open_userid: user.userid,
    main_department: user.main_department,
    extattr: { attrs: [] },
    status: user.status,
    qr_code: '',
    external_position: '',
    external_profile: { external_corp_name: '', external_attr: [] },
  }
}

function presentDepartment(company: SimCompany, department: SimDepartment): Record<string, unknown> {
  return {
    id: department.id,
    name: department.name,
    parentid: department.parentid,
    order: department.order,
    department_leader: leadersOf(company, department.id),
  }
}

/** Members flagged as leader of the department in their own is_leader_in_dept. */
function leadersOf(company: SimCompany, departmentId: number): string[] {
  const leaders: string[] = []
  for (const user of company.users.values()) {
    const index = user.department.indexOf(departmentId)
    if (index >= 0 && user.is_leader_in_dept[index] === 1) leaders.push(user.userid)
  }
  return leaders
}

/** The department and everything below it, parents before children. */
export function subtree(company: SimCompany, rootId: number): SimDepartment[] {
  const found: SimDepartment[] = []
  const queue = [rootId]
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const department = company.departments.get(id)
    if (!department) continue
    found.push(department)
    for (const child of company.departments.values()) {
      if (child.parentid === id && child.id !== id) queue.push(child.id)
    }
  }
  return found
}
