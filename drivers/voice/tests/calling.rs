//! End-to-end calling against the bundled clip sets: what is said, what it sounds like (the PCM, checked
//! against the clip files read independently), and where it goes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use banshi_core::ErrorCode;
use banshi_voice::{
    bundled_clips_dir, Announcer, Call, CallOptions, ClipLibrary, ClipSet, RecordingSink,
    VoiceError, VoiceStatus, WavFileSink, Window,
};

const RATE: u32 = 16_000;
/// The bundled manifests' gaps, in samples at 16 kHz.
const GAP: usize = 60 * 16;
const REPEAT_GAP: usize = 600 * 16;

fn set(language: &str) -> ClipSet {
    ClipSet::load(&bundled_clips_dir().join(language)).expect("bundled clip set loads")
}

/// Reads a clip file with hound directly, not through the crate.
fn clip_samples(language: &str, token: &str) -> Vec<i16> {
    let path = bundled_clips_dir()
        .join(language)
        .join(format!("{token}.wav"));
    let reader = hound::WavReader::open(&path).expect("clip opens");
    assert_eq!(reader.spec().sample_rate, RATE);
    reader
        .into_samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect()
}

/// The PCM a script of spoken groups should produce: clips joined by GAP, groups joined by REPEAT_GAP.
fn expected_pcm(language: &str, groups: &[&[&str]]) -> Vec<i16> {
    let mut pcm = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if g > 0 {
            pcm.extend(std::iter::repeat_n(0, REPEAT_GAP));
        }
        for (i, token) in group.iter().enumerate() {
            if i > 0 {
                pcm.extend(std::iter::repeat_n(0, GAP));
            }
            pcm.extend(clip_samples(language, token));
        }
    }
    pcm
}

const ZH_A001_AT_5: &[&str] = &[
    "please",
    "letter_A",
    "digit_0",
    "digit_0",
    "digit_1",
    "hao",
    "dao",
    "digit_5",
    "hao_window",
    "handle",
];

fn recording_announcer() -> (Announcer, Arc<RecordingSink>) {
    let sink = Arc::new(RecordingSink::new());
    let library = ClipLibrary::load(&bundled_clips_dir()).expect("clips dir readable");
    let announcer = Announcer::new(library, sink.clone()).expect("announcer starts");
    (announcer, sink)
}

#[test]
fn zh_a001_at_window_5_says_the_hall_sequence_and_renders_exactly_those_clips() {
    let (announcer, sink) = recording_announcer();
    let call = Call::new("A001", Window::parse("5号"), "zh-CN");
    announcer
        .announce(&call, CallOptions::default())
        .unwrap()
        .wait()
        .unwrap();

    let played = sink.played();
    assert_eq!(played.len(), 1);
    let announcement = &played[0];
    let mut expected_tokens = vec!["chime"];
    expected_tokens.extend_from_slice(ZH_A001_AT_5);
    assert_eq!(announcement.tokens(), expected_tokens);
    assert_eq!(announcement.language(), "zh-CN");
    assert_eq!(announcement.sample_rate(), RATE);
    assert_eq!(
        announcement.samples(),
        expected_pcm("zh-CN", &[&["chime"], ZH_A001_AT_5]).as_slice()
    );
}

#[test]
fn zh_repeat_says_the_call_twice_with_one_chime() {
    let call = Call::new("a001", 5, "zh-CN");
    let announcement = set("zh-CN")
        .render(
            &call,
            CallOptions {
                repeat: 2,
                chime: true,
            },
        )
        .unwrap();
    let mut expected = vec!["chime"];
    expected.extend_from_slice(ZH_A001_AT_5);
    expected.extend_from_slice(ZH_A001_AT_5);
    assert_eq!(announcement.tokens(), expected);
    assert_eq!(
        announcement.samples(),
        expected_pcm("zh-CN", &[&["chime"], ZH_A001_AT_5, ZH_A001_AT_5]).as_slice()
    );
    let quiet = set("zh-CN")
        .render(
            &call,
            CallOptions {
                repeat: 0,
                chime: false,
            },
        )
        .unwrap();
    assert_eq!(
        quiet.tokens(),
        ZH_A001_AT_5,
        "repeat 0 is once, and no chime"
    );
}

#[test]
fn zh_windows_are_read_as_numbers() {
    let zh = set("zh-CN");
    let window_part = |window: u32| -> Vec<String> {
        let tokens: Vec<String> = zh
            .render(
                &Call::new("C120", window, "zh-CN"),
                CallOptions {
                    repeat: 1,
                    chime: false,
                },
            )
            .unwrap()
            .tokens()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let from = tokens.iter().position(|t| t == "dao").unwrap() + 1;
        let to = tokens.iter().position(|t| t == "hao_window").unwrap();
        tokens[from..to].to_vec()
    };
    assert_eq!(window_part(12), ["shi", "digit_2"], "12 → 十二");
    assert_eq!(window_part(10), ["shi"], "10 → 十");
    assert_eq!(window_part(20), ["digit_2", "shi"], "20 → 二十");
    assert_eq!(
        window_part(105),
        ["digit_1", "bai", "digit_0", "digit_5"],
        "105 → 一百零五"
    );
    assert_eq!(
        window_part(115),
        ["digit_1", "bai", "digit_1", "shi", "digit_5"],
        "115 → 一百一十五"
    );
}

#[test]
fn en_says_number_a_zero_zero_one_please_go_to_window_five() {
    let announcement = set("en")
        .render(&Call::new("A001", 5, "en"), CallOptions::default())
        .unwrap();
    let said = [
        "number",
        "letter_A",
        "n_0",
        "n_0",
        "n_1",
        "please_go_to",
        "window",
        "n_5",
    ];
    let mut expected = vec!["chime"];
    expected.extend_from_slice(&said);
    assert_eq!(announcement.tokens(), expected);
    assert_eq!(
        announcement.samples(),
        expected_pcm("en", &[&["chime"], &said]).as_slice()
    );

    let tokens = set("en")
        .render(
            &Call::new("B7", 25, "en"),
            CallOptions {
                repeat: 1,
                chime: false,
            },
        )
        .unwrap()
        .tokens()
        .join(" ");
    assert_eq!(tokens, "number letter_B n_7 please_go_to window n_20 n_5");
    let tokens = set("en")
        .render(
            &Call::new("B7", 12, "en"),
            CallOptions {
                repeat: 1,
                chime: false,
            },
        )
        .unwrap()
        .tokens()
        .join(" ");
    assert!(tokens.ends_with("window n_12"), "{tokens}");
}

#[test]
fn calls_the_clips_cannot_say_are_refused_before_anything_plays() {
    let (announcer, sink) = recording_announcer();
    let cases = [
        (Call::new("A-01", 5, "zh-CN"), "voice.bad_ticket"),
        (Call::new("A001", 0, "zh-CN"), "voice.bad_window"),
        (Call::new("A001", 1000, "zh-CN"), "voice.bad_window"),
        (
            Call::new("A001", Window::parse("综合窗口"), "zh-CN"),
            "voice.bad_window",
        ),
    ];
    for (call, code) in cases {
        let error = announcer
            .announce(&call, CallOptions::default())
            .unwrap_err();
        assert_eq!(error.code(), code, "{call:?}: {error}");
    }
    assert!(sink.played().is_empty());
}

/// Copies a bundled clip set into a temporary directory so a test can damage it.
fn copy_set(language: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join(language);
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(bundled_clips_dir().join(language)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    (root, dir)
}

#[test]
fn a_missing_clip_is_named_by_voice_missing_clip() {
    let (_root, dir) = copy_set("zh-CN");
    std::fs::remove_file(dir.join("hao_window.wav")).unwrap();
    let error = ClipSet::load(&dir).unwrap_err();
    assert_eq!(error.code(), "voice.missing_clip");
    let VoiceError::MissingClip { language, missing } = &error else {
        panic!("{error}")
    };
    assert_eq!(language, "zh-CN");
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].token.as_str(), missing[0].file.as_str()),
        ("hao_window", "hao_window.wav")
    );
    assert!(
        error.to_string().contains("hao_window (hao_window.wav)"),
        "{error}"
    );
}

#[test]
fn uyghur_without_recordings_reports_its_missing_clips_and_falls_back_to_zh() {
    let error = ClipSet::load(&bundled_clips_dir().join("ug")).unwrap_err();
    let VoiceError::MissingClip { language, missing } = &error else {
        panic!("{error}")
    };
    assert_eq!(language, "ug");
    let tokens: Vec<&str> = missing.iter().map(|c| c.token.as_str()).collect();
    for token in [
        "nomurluq", "koznekke", "keling", "nol", "yigirme", "yuz", "letter_A",
    ] {
        assert!(
            tokens.contains(&token),
            "{token} not reported missing: {tokens:?}"
        );
    }

    let (announcer, sink) = recording_announcer();
    let library = announcer.library();
    assert_eq!(library.languages(), ["en", "zh-CN"]);
    assert_eq!(library.failures().len(), 1);
    assert_eq!(library.failures()[0].name, "ug");
    announcer
        .announce(&Call::new("A001", 5, "ug"), CallOptions::default())
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(sink.played()[0].language(), "zh-CN");
    assert_eq!(&sink.played()[0].tokens()[1..], ZH_A001_AT_5);

    let health = announcer.health();
    assert_eq!(health.status, VoiceStatus::Degraded);
    let detail = health.detail.unwrap();
    assert!(
        detail.contains("ug") && detail.contains("voice clip set ug"),
        "{detail}"
    );
}

/// Rewrites one clip of a copied set with the given WAV spec.
fn rewrite_clip(dir: &Path, file: &str, spec: hound::WavSpec) {
    let mut writer = hound::WavWriter::create(dir.join(file), spec).unwrap();
    for i in 0..spec.sample_rate / 10 * u32::from(spec.channels) {
        writer.write_sample((i % 100) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn a_clip_at_another_sample_rate_is_voice_bad_clip() {
    let (_root, dir) = copy_set("zh-CN");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    rewrite_clip(&dir, "digit_7.wav", spec);
    let error = ClipSet::load(&dir).unwrap_err();
    assert_eq!(error.code(), "voice.bad_clip");
    let message = error.to_string();
    assert!(
        message.contains("digit_7.wav") && message.contains("22050"),
        "{message}"
    );

    rewrite_clip(
        &dir,
        "digit_7.wav",
        hound::WavSpec {
            channels: 2,
            sample_rate: RATE,
            ..spec
        },
    );
    let error = ClipSet::load(&dir).unwrap_err();
    assert!(error.to_string().contains("mono"), "{error}");

    std::fs::write(dir.join("digit_7.wav"), b"RIFF\x04\0\0\0WAVEjunk").unwrap();
    assert_eq!(ClipSet::load(&dir).unwrap_err().code(), "voice.bad_clip");
}

#[test]
fn a_named_window_uses_the_named_template_and_its_clip() {
    let (_root, dir) = copy_set("zh-CN");
    std::fs::copy(dir.join("handle.wav"), dir.join("zonghe_window.wav")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    let manifest = manifest.replacen(
        "[windows]\n",
        "[windows]\n\"综合窗口\" = [\"zonghe_window\"]\n",
        1,
    );
    std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
    let announcement = ClipSet::load(&dir)
        .unwrap()
        .render(
            &Call::new("A001", Window::parse(" 综合窗口 "), "zh-CN"),
            CallOptions::default(),
        )
        .unwrap();
    assert_eq!(
        announcement.tokens(),
        [
            "chime",
            "please",
            "letter_A",
            "digit_0",
            "digit_0",
            "digit_1",
            "hao",
            "dao",
            "zonghe_window",
            "handle"
        ]
    );
}

#[test]
fn the_wav_file_sink_writes_a_wav_lasting_the_clips_plus_gaps() {
    let out = tempfile::tempdir().unwrap();
    let sink = Arc::new(WavFileSink::new(out.path().join("calls")));
    let library = ClipLibrary::load(&bundled_clips_dir()).unwrap();
    let announcer = Announcer::new(library, sink).unwrap();
    assert_eq!(
        announcer.health().status,
        VoiceStatus::Degraded,
        "ug is missing its clips"
    );
    announcer
        .announce(
            &Call::new("A001", 5, "zh-CN"),
            CallOptions {
                repeat: 2,
                chime: true,
            },
        )
        .unwrap()
        .wait()
        .unwrap();

    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path().join("calls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "the WAV and its clip script: {files:?}");
    assert!(files[0].ends_with("000001-A001-zh-CN.txt"), "{files:?}");
    let script = std::fs::read_to_string(&files[0]).unwrap();
    // Said twice (repeat 2), after one chime.
    let expected: Vec<&str> = std::iter::once("chime")
        .chain(ZH_A001_AT_5.iter().copied())
        .chain(ZH_A001_AT_5.iter().copied())
        .collect();
    assert_eq!(script, expected.join(" "));
    files.remove(0);
    assert!(files[0].ends_with("000001-A001-zh-CN.wav"), "{files:?}");
    let reader = hound::WavReader::open(&files[0]).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, RATE, 16)
    );

    let clips: usize = std::iter::once("chime")
        .chain(ZH_A001_AT_5.iter().copied())
        .chain(ZH_A001_AT_5.iter().copied())
        .map(|token| clip_samples("zh-CN", token).len())
        .sum();
    // Two sayings of 10 clips (9 gaps each), a pause after the chime and one between the sayings.
    let silence = 2 * 9 * GAP + 2 * REPEAT_GAP;
    assert_eq!(reader.duration() as usize, clips + silence);
    let written: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
    assert_eq!(
        written,
        expected_pcm("zh-CN", &[&["chime"], ZH_A001_AT_5, ZH_A001_AT_5])
    );
}
