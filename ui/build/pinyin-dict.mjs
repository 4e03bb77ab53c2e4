// The on-screen keyboard's pinyin → characters table, made at build time (no download, nothing computed on the
// kiosk). No maintained npm package maps pinyin to characters, so the map of `pinyin-pro` (characters →
// pinyin) is inverted: every character of GB 2312 (the 6 763 characters of everyday simplified Chinese) with
// each of its toneless readings (`ü` written `v`, as on every pinyin keyboard).
//
// Order within a syllable, most likely first: GB 2312 level 1 (the 3 755 common characters) before level 2,
// then how often the character occurs in pinyin-pro's word lists (they are ordered by frequency, so earlier
// words weigh more), then code point. It is an approximation of character frequency from the data at hand.

import { pinyin } from 'pinyin-pro'
import DICT2 from 'pinyin-pro/dist/esm/data/dict2.mjs'
import DICT3 from 'pinyin-pro/dist/esm/data/dict3.mjs'
import DICT4 from 'pinyin-pro/dist/esm/data/dict4.mjs'

export const PINYIN_DICT_ID = 'virtual:pinyin-dict'

/** GB 2312 level of each of its hanzi: rows 16–55 are level 1, rows 56–87 level 2. */
function gb2312Levels() {
  const decoder = new TextDecoder('gb18030')
  const level = new Map()
  for (let hi = 0xb0; hi <= 0xf7; hi++) {
    for (let lo = 0xa1; lo <= 0xfe; lo++) {
      const ch = decoder.decode(new Uint8Array([hi, lo]))
      if (ch.length === 1 && ch !== '\ufffd' && !level.has(ch)) level.set(ch, hi <= 0xd7 ? 1 : 2)
    }
  }
  return level
}

/** A weight per character from the frequency-ordered word lists. */
function wordWeights() {
  const weight = new Map()
  for (const dict of [DICT2, DICT3, DICT4]) {
    Object.keys(dict).forEach((word, rank) => {
      for (const ch of word) weight.set(ch, (weight.get(ch) ?? 0) + 1 / (rank + 20))
    })
  }
  return weight
}

/** `{ syllable: "characters in order" }`, e.g. `ban` → "半班板…办…". */
export function buildPinyinDict() {
  const level = gb2312Levels()
  const weight = wordWeights()
  const bySyllable = new Map()
  for (const ch of level.keys()) {
    const readings = pinyin(ch, { toneType: 'none', multiple: true, type: 'array', v: true })
    for (const reading of new Set(readings)) {
      if (!/^[a-z]+$/.test(reading)) continue
      if (!bySyllable.has(reading)) bySyllable.set(reading, [])
      bySyllable.get(reading).push(ch)
    }
  }
  const dict = {}
  for (const syllable of [...bySyllable.keys()].sort()) {
    const chars = bySyllable.get(syllable)
    chars.sort(
      (a, b) =>
        level.get(a) - level.get(b) ||
        (weight.get(b) ?? 0) - (weight.get(a) ?? 0) ||
        a.codePointAt(0) - b.codePointAt(0),
    )
    dict[syllable] = chars.join('')
  }
  return dict
}

/** Vite plugin: `import dict from 'virtual:pinyin-dict'` gives the table as a plain object. */
export function pinyinDictPlugin() {
  const resolved = '\0' + PINYIN_DICT_ID
  let cached = null
  return {
    name: 'banshi-pinyin-dict',
    resolveId(id) {
      return id === PINYIN_DICT_ID ? resolved : null
    },
    load(id) {
      if (id !== resolved) return null
      cached ??= `export default ${JSON.stringify(buildPinyinDict())}\n`
      return cached
    },
  }
}
