import { describe, expect, it } from 'vitest'
import { maskIdNumber, maskName, maskPhone } from '../src/util/mask'

describe('masking', () => {
  it('masks ID numbers keeping 4 + 4', () => {
    expect(maskIdNumber('460100199001011234')).toBe('4601**********1234')
    expect(maskIdNumber('46010019900101123X')).toBe('4601**********123X')
    expect(maskIdNumber('460100900101123')).toBe('4601*******1123')
    expect(maskIdNumber('1234')).toBe('****')
  })

  it('masks Chinese names', () => {
    expect(maskName('张三丰')).toBe('张*丰')
    expect(maskName('张三')).toBe('张*')
    expect(maskName('欧阳娜娜')).toBe('欧**娜')
    expect(maskName('李')).toBe('*')
    expect(maskName('')).toBe('')
    expect(maskName('John Smith')).toBe('J*** S****')
  })

  it('masks phone numbers', () => {
    expect(maskPhone('13812345678')).toBe('138****5678')
  })
})
