//! The queue (order, not blocking the caller) and the command sink (player choice, health, the WAV the
//! player receives), with stand-in `aplay`/`paplay` scripts in place of a sound card.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use banshi_core::ErrorCode;
use banshi_voice::{
    bundled_clips_dir, Announcement, Announcer, AudioEnvironment, AudioSink, Call, CallOptions,
    CallQueue, ClipLibrary, ClipSet, CommandSink, Health, RecordingSink, VoiceError, VoiceStatus,
};

fn render(ticket: &str, window: u32) -> Announcement {
    ClipSet::load(&bundled_clips_dir().join("zh-CN"))
        .unwrap()
        .render(&Call::new(ticket, window, "zh-CN"), CallOptions::default())
        .unwrap()
}

/// Holds each announcement until the test releases it, so "while the first is playing" is a state the
/// test controls rather than a timing.
#[derive(Debug)]
struct GatedSink {
    started: Mutex<mpsc::Sender<String>>,
    release: Mutex<mpsc::Receiver<()>>,
    finished: RecordingSink,
}

impl AudioSink for GatedSink {
    fn play(&self, announcement: &Announcement) -> Result<(), VoiceError> {
        self.started
            .lock()
            .unwrap()
            .send(announcement.ticket().to_owned())
            .unwrap();
        self.release.lock().unwrap().recv().unwrap();
        self.finished.play(announcement)
    }

    fn health(&self) -> Health {
        Health::ok()
    }
}

#[tokio::test]
async fn a_second_call_waits_for_the_first_and_both_play_in_order() {
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let sink = Arc::new(GatedSink {
        started: Mutex::new(started_tx),
        release: Mutex::new(release_rx),
        finished: RecordingSink::new(),
    });
    let queue = CallQueue::new(sink.clone()).unwrap();

    // Both enqueues return while the sink is still holding the first: callers are never blocked.
    let first = queue.enqueue(render("A001", 5));
    let second = queue.enqueue(render("A002", 7));
    assert_eq!(started.recv().unwrap(), "A001");
    assert_eq!(
        started.try_recv(),
        Err(mpsc::TryRecvError::Empty),
        "A002 must wait for A001"
    );

    release.send(()).unwrap();
    first.finished().await.unwrap();
    assert_eq!(started.recv().unwrap(), "A002");
    release.send(()).unwrap();
    second.finished().await.unwrap();

    let played: Vec<String> = sink
        .finished
        .played()
        .iter()
        .map(|a| a.ticket().to_owned())
        .collect();
    assert_eq!(played, ["A001", "A002"]);
}

#[test]
fn many_queued_calls_play_in_the_order_they_were_made() {
    let sink = Arc::new(RecordingSink::new());
    let library = ClipLibrary::load(&bundled_clips_dir()).unwrap();
    let announcer = Announcer::new(library, sink.clone()).unwrap();
    let tickets: Vec<String> = (1..=6).map(|n| format!("B{n:03}")).collect();
    let playbacks: Vec<_> = tickets
        .iter()
        .map(|t| {
            announcer
                .announce(&Call::new(t.as_str(), 3, "en"), CallOptions::default())
                .unwrap()
        })
        .collect();
    for playback in playbacks {
        playback.wait().unwrap();
    }
    let played: Vec<String> = sink
        .played()
        .iter()
        .map(|a| a.ticket().to_owned())
        .collect();
    assert_eq!(played, tickets);
}

/// Stand-in players, all written before any test spawns a process (a script still open for writing in
/// one thread while another forks fails to exec with "text file busy").
struct Players {
    _root: tempfile::TempDir,
    /// `aplay` that copies the WAV it is given to `<script>.wav` and its arguments to `<script>.args`.
    aplay_dir: PathBuf,
    /// `paplay` doing the same, plus an `aplay` that must not be chosen.
    paplay_dir: PathBuf,
    /// `aplay` that fails like ALSA does without a device.
    failing_dir: PathBuf,
    /// A /dev/snd with one playback PCM, and one with only a capture PCM.
    sound_devices: PathBuf,
    capture_only: PathBuf,
}

const RECORDING_PLAYER: &str =
    "#!/bin/sh\nfor last; do :; done\necho \"$@\" > \"$0.args\"\ncp \"$last\" \"$0.wav\"\n";
const FAILING_PLAYER: &str =
    "#!/bin/sh\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1\n";

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn players() -> &'static Players {
    static PLAYERS: OnceLock<Players> = OnceLock::new();
    PLAYERS.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let dir = |name: &str| {
            let dir = root.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            dir
        };
        let (aplay_dir, paplay_dir, failing_dir) = (dir("aplay"), dir("paplay"), dir("failing"));
        let (sound_devices, capture_only) = (dir("snd"), dir("snd-capture"));
        write_script(&aplay_dir.join("aplay"), RECORDING_PLAYER);
        write_script(&paplay_dir.join("paplay"), RECORDING_PLAYER);
        write_script(&paplay_dir.join("aplay"), FAILING_PLAYER);
        write_script(&failing_dir.join("aplay"), FAILING_PLAYER);
        std::fs::write(sound_devices.join("pcmC0D0p"), b"").unwrap();
        std::fs::write(sound_devices.join("controlC0"), b"").unwrap();
        std::fs::write(capture_only.join("pcmC0D0c"), b"").unwrap();
        Players {
            _root: root,
            aplay_dir,
            paplay_dir,
            failing_dir,
            sound_devices,
            capture_only,
        }
    })
}

fn environment(search: &[&Path], sound_devices: &Path, sound_server: bool) -> AudioEnvironment {
    AudioEnvironment {
        search_path: search.iter().map(|p| p.to_path_buf()).collect(),
        sound_devices: sound_devices.to_owned(),
        sound_server,
    }
}

fn wav_samples(path: &Path) -> Vec<i16> {
    let reader = hound::WavReader::open(path).unwrap();
    assert_eq!(
        (reader.spec().channels, reader.spec().sample_rate),
        (1, 16_000)
    );
    reader.into_samples::<i16>().map(Result::unwrap).collect()
}

#[test]
fn aplay_gets_the_rendered_wav_when_there_is_a_playback_device() {
    let p = players();
    let sink = CommandSink::new(environment(&[&p.aplay_dir], &p.sound_devices, false));
    assert_eq!(sink.health(), Health::ok());
    let announcement = render("C120", 12);
    sink.play(&announcement).unwrap();
    assert_eq!(
        wav_samples(&p.aplay_dir.join("aplay.wav")),
        announcement.samples()
    );
    let args = std::fs::read_to_string(p.aplay_dir.join("aplay.args")).unwrap();
    assert!(
        args.starts_with("-q ") && args.trim_end().ends_with(".wav"),
        "{args}"
    );
}

#[test]
fn paplay_is_preferred_when_a_sound_server_runs() {
    let p = players();
    let sink = CommandSink::new(environment(&[&p.paplay_dir], &p.sound_devices, true));
    let announcement = render("A001", 5);
    sink.play(&announcement).unwrap();
    assert_eq!(
        wav_samples(&p.paplay_dir.join("paplay.wav")),
        announcement.samples()
    );
}

#[test]
fn without_player_or_device_the_sink_is_offline_and_says_why() {
    let p = players();
    let empty = tempfile::tempdir().unwrap();
    let cases = [
        (
            environment(&[empty.path()], &p.sound_devices, true),
            "paplay not found; aplay not found",
        ),
        (
            environment(&[&p.aplay_dir], &p.capture_only, false),
            "aplay found but",
        ),
        (
            environment(&[&p.aplay_dir], &empty.path().join("no-snd"), false),
            "has no playback device",
        ),
        (
            environment(&[&p.paplay_dir], &p.capture_only, false),
            "paplay found but no sound server is running",
        ),
    ];
    for (env, why) in cases {
        let sink = CommandSink::new(env);
        let health = sink.health();
        assert_eq!(health.status, VoiceStatus::Offline);
        let detail = health.detail.unwrap();
        assert!(
            detail.starts_with("no audio output: ") && detail.contains(why),
            "{detail}"
        );
        let error = sink.play(&render("A001", 5)).unwrap_err();
        assert_eq!(error.code(), "voice.no_output");
    }
}

#[test]
fn a_failing_player_reports_its_error_output() {
    let p = players();
    let sink = CommandSink::new(environment(&[&p.failing_dir], &p.sound_devices, false));
    let error = sink.play(&render("A001", 5)).unwrap_err();
    assert_eq!(error.code(), "voice.playback_failed");
    assert!(error.to_string().contains("audio open error"), "{error}");
}

#[test]
fn an_announcer_without_audio_output_is_offline() {
    let empty = tempfile::tempdir().unwrap();
    let sink = Arc::new(CommandSink::new(environment(
        &[empty.path()],
        empty.path(),
        false,
    )));
    let announcer = Announcer::new(ClipLibrary::load(&bundled_clips_dir()).unwrap(), sink).unwrap();
    let health = announcer.health();
    assert_eq!(health.status, VoiceStatus::Offline);
    assert_eq!(health.status.as_str(), "offline");
    // The failure surfaces on the Playback, not as a panic or a hang.
    let playback = announcer
        .announce(&Call::new("A001", 5, "zh-CN"), CallOptions::default())
        .unwrap();
    assert_eq!(playback.wait().unwrap_err().code(), "voice.no_output");
}

#[test]
fn a_complete_library_with_a_working_sink_is_ok() {
    let mut library = ClipLibrary::default();
    library.add(ClipSet::load(&bundled_clips_dir().join("zh-CN")).unwrap());
    assert_eq!(library.health(), Health::ok());
    let announcer = Announcer::new(library, Arc::new(RecordingSink::new())).unwrap();
    assert_eq!(announcer.health(), Health::ok());
    assert_eq!(
        ClipLibrary::default().health().status,
        VoiceStatus::Offline,
        "no zh-CN clips"
    );
}
