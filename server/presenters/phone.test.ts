import { describe, expect, it } from 'vitest'
import { maskPhone } from './phone'

describe('maskPhone', () => {
  it('keeps the first three and the last four digits', () => {
    expect(maskPhone('13800000001')).toBe('138****0001')
    expect(maskPhone('+8613800000001')).toBe('+86*******0001')
  })
  it('hides short numbers whole', () => {
    expect(maskPhone('12345')).toBe('*****')
  })
})
