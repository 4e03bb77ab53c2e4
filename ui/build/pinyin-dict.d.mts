import type { Plugin } from 'vite'

export const PINYIN_DICT_ID: string
export function buildPinyinDict(): Record<string, string>
export function pinyinDictPlugin(): Plugin
