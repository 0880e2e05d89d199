import { describe, expect, it } from 'vitest'
import { renderScript, withoutUnresolved } from './render'

describe('renderScript', () => {
  it('fills every variable of SPEC §4.3 that has a value', () => {
    const rendered = renderScript('{{客户称呼}}您好，我是{{导购姓名}}。您的{{最近购买}}{{订单状态}}，累计{{累计消费}}元（{{客户昵称}}）', {
      客户称呼: '王姐',
      客户昵称: '🌸小美',
      导购姓名: '张三',
      最近购买: '玻尿酸精华',
      订单状态: '已发货',
      累计消费: '123.45',
    })
    expect(rendered).toEqual({ text: '王姐您好，我是张三。您的玻尿酸精华已发货，累计123.45元（🌸小美）', unresolved: [] })
  })

  it('leaves variables without a value, and unknown ones, as written and lists them once', () => {
    const rendered = renderScript('{{客户称呼}}，{{最近购买}}到了吗？{{ 最近购买 }} {{优惠券}}', { 客户称呼: '王姐', 最近购买: null })
    expect(rendered.text).toBe('王姐，{{最近购买}}到了吗？{{ 最近购买 }} {{优惠券}}')
    expect(rendered.unresolved).toEqual(['最近购买', '优惠券'])
  })

  it('never interprets values: a nickname holding a placeholder or markup stays as it is', () => {
    const rendered = renderScript('{{客户昵称}}，{{导购姓名}}', { 客户昵称: '{{导购姓名}}<script>', 导购姓名: '张三' })
    expect(rendered).toEqual({ text: '{{导购姓名}}<script>，张三', unresolved: [] })
  })
})

describe('withoutUnresolved', () => {
  it('takes out the variables left without a value, and the brackets they leave empty, and nothing else', () => {
    expect(withoutUnresolved('王姐，您的订单状态是「{{订单状态}}」，{{ 最近购买 }}到了吗？{{客户称呼}}', ['订单状态', '最近购买'])).toBe(
      '王姐，您的订单状态是，到了吗？{{客户称呼}}',
    )
    expect(withoutUnresolved('（{{累计消费}}元）「已发货」', ['累计消费'])).toBe('（元）「已发货」')
    expect(withoutUnresolved('{{优惠券}}', ['优惠券'])).toBe('')
  })
})
