import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AppError } from '../errors'
import { externalUseridParam, idParam, parseParams } from './params'

const path = z.object({ externalUserid: externalUseridParam, tagId: idParam })
const parse = (params: Record<string, string>) => parseParams({ params }, path)

describe('path parameters', () => {
  it('turns a well-formed path into typed values', () => {
    expect(parse({ externalUserid: 'wmDemoCustomer001', tagId: '42' })).toEqual({ externalUserid: 'wmDemoCustomer001', tagId: 42 })
    expect(parse({ externalUserid: 'w'.repeat(64), tagId: String(Number.MAX_SAFE_INTEGER) }).tagId).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('answers 404 not_found for ids that are not positive safe integers, and for odd external_userids', () => {
    const refused = [
      ...['abc', 'NaN', 'Infinity', '', '0', '-1', '+1', '01', '1.0', '1e3', '0x1f', ' 1', '9007199254740992'].map((tagId) => ({ externalUserid: 'wm1', tagId })),
      ...['', 'w'.repeat(65), 'wm 1', 'wm\u00001', 'wm\n1', 'wm\u007f', '客户'].map((externalUserid) => ({ externalUserid, tagId: '1' })),
    ]
    for (const params of refused) {
      const error = (() => {
        try {
          parse(params)
        } catch (caught) {
          return caught
        }
      })()
      expect([params, error instanceof AppError && error.status, (error as AppError).id]).toEqual([params, 404, 'not_found'])
    }
  })
})
