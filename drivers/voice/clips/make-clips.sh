#!/usr/bin/env bash
# Regenerates the stand-in voice clips in drivers/voice/clips/{zh-CN,en}/ with espeak-ng and sox.
#
# These clips are synthetic placeholders so the calling pipeline works out of the box and tests have real
# audio to concatenate. Real halls replace them with recorded human clips: record each token's text listed
# below (16 kHz, mono, 16-bit PCM WAV, silence trimmed), keep the file names, or edit manifest.toml.
#
# Run by hand only (the build and the terminal never synthesise anything):
#   apt-get install espeak-ng sox && drivers/voice/clips/make-clips.sh
# The output is deterministic for a given espeak-ng/sox version (no dither), so re-running it on the same
# Debian release leaves git clean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rate=16000
# Faster than espeak's default 175 wpm: hall calls are brisk, and it keeps the committed set under 1 MB.
speed=215
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-clips.sh: $tool is required (apt-get install $tool)" >&2; exit 1; }
done

# clip VOICE OUT_FILE TEXT: speak TEXT, resample to 16 kHz mono 16-bit, trim leading/trailing silence,
# normalise to -3 dBFS so clips from different takes sit at one loudness when concatenated.
clip() {
    local voice="$1" out="$2" text="$3"
    espeak-ng -v "$voice" -s "$speed" -w "$scratch/raw.wav" "$text"
    sox -D "$scratch/raw.wav" -r "$rate" -c 1 -b 16 "$out" \
        silence 1 0.01 1% reverse silence 1 0.01 1% reverse gain -n -3
}

# A two-note "ding dong" (G5 then E5), the hall's attention signal before the first word.
chime() {
    local out="$1"
    sox -D -n -r "$rate" -c 1 -b 16 "$scratch/ding.wav" synth 0.22 sine 784 fade q 0.005 0.22 0.18 gain -6
    sox -D -n -r "$rate" -c 1 -b 16 "$scratch/dong.wav" synth 0.30 sine 659 fade q 0.005 0.30 0.26 gain -6
    sox -D "$scratch/ding.wav" "$scratch/dong.wav" "$out"
}

letters=(A B C D E F G H I J K L M N O P Q R S T U V W X Y Z)

# --- zh-CN --------------------------------------------------------------------------------------------
# espeak-ng's plain `cmn` voice reads 请/号/到/口/办/理 with English rules ("latin as English");
# `cmn-latn-pinyin` reads them as Mandarin (devices-research.md §7.3). Letters come out hall-style (A = "ei").
zh="$here/zh-CN"
mkdir -p "$zh"
zhv=cmn-latn-pinyin
chime "$zh/chime.wav"
clip $zhv "$zh/please.wav" "请"
clip $zhv "$zh/hao.wav" "号"
clip $zhv "$zh/dao.wav" "到"
clip $zhv "$zh/hao_window.wav" "号窗口"
clip $zhv "$zh/handle.wav" "办理"
zh_digits=(零 一 二 三 四 五 六 七 八 九)
for d in 0 1 2 3 4 5 6 7 8 9; do clip $zhv "$zh/digit_$d.wav" "${zh_digits[$d]}"; done
clip $zhv "$zh/shi.wav" "十"
clip $zhv "$zh/bai.wav" "百"
for l in "${letters[@]}"; do clip $zhv "$zh/letter_$l.wav" "$l"; done

# --- en -----------------------------------------------------------------------------------------------
en="$here/en"
mkdir -p "$en"
env=en-us
chime "$en/chime.wav"
clip $env "$en/number.wav" "number"
clip $env "$en/please_go_to.wav" "please go to"
clip $env "$en/window.wav" "window"
en_small=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen)
for n in $(seq 0 19); do clip $env "$en/n_$n.wav" "${en_small[$n]}"; done
en_tens=(_ _ twenty thirty forty fifty sixty seventy eighty ninety)
for t in 2 3 4 5 6 7 8 9; do clip $env "$en/n_${t}0.wav" "${en_tens[$t]}"; done
clip $env "$en/hundred.wav" "hundred"
# Letter names: espeak reads a lone capital as its name ("ay", "bee", ...).
for l in "${letters[@]}"; do clip $env "$en/letter_$l.wav" "$l"; done

du -cb "$zh"/*.wav "$en"/*.wav | tail -1
