// Pinyin composition for the on-screen keyboard: what the letters typed so far offer as Chinese characters.
// The table comes from `virtual:pinyin-dict` (built from pinyin-pro at build time, `build/pinyin-dict.mjs`).

import PINYIN from 'virtual:pinyin-dict'

export type PinyinDict = Readonly<Record<string, string>>

export const DEFAULT_DICT: PinyinDict = PINYIN

/** The longest pinyin syllable has six letters (`zhuang`, `chuang`, `shuang`). */
const MAX_SYLLABLE = 6
/** Characters offered for letters that are only the start of syllables (`zh`, `b`). */
const MAX_PREFIX_CANDIDATES = 60

export interface Lookup {
  /** The letters the candidates stand for: choosing one removes them from the front of the buffer. */
  consumed: string
  chars: string[]
}

/**
 * Candidates for the front of `buffer`: the longest whole syllable it starts with (`banli` → `ban`, so a word is
 * typed one syllable at a time), else — while the letters are only the start of syllables, like `zh` — the
 * characters of every syllable they begin, taking the likeliest of each in turn.
 */
export function lookup(buffer: string, dict: PinyinDict = DEFAULT_DICT): Lookup {
  const letters = buffer.toLowerCase()
  if (letters === '') return { consumed: '', chars: [] }
  for (let n = Math.min(MAX_SYLLABLE, letters.length); n > 0; n--) {
    const syllable = letters.slice(0, n)
    const chars = dict[syllable]
    if (chars) return { consumed: syllable, chars: Array.from(chars) }
  }
  const lists = Object.keys(dict)
    .filter((s) => s.startsWith(letters))
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .map((s) => Array.from(dict[s] ?? ''))
  const seen = new Set<string>()
  const chars: string[] = []
  for (let rank = 0; chars.length < MAX_PREFIX_CANDIDATES && lists.some((l) => rank < l.length); rank++) {
    for (const list of lists) {
      const ch = list[rank]
      if (ch !== undefined && !seen.has(ch)) {
        seen.add(ch)
        chars.push(ch)
        if (chars.length >= MAX_PREFIX_CANDIDATES) break
      }
    }
  }
  return { consumed: letters, chars }
}
