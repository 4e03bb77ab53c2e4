// The table `build/pinyin-dict.mjs` makes at build time: syllable (toneless, `ü` as `v`) → characters, most
// likely first.
declare module 'virtual:pinyin-dict' {
  const dict: Record<string, string>
  export default dict
}
