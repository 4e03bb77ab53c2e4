//! Playing through the system's own player: `paplay` (PulseAudio/PipeWire) or `aplay` (ALSA).
//!
//! Shelling out to the players that ship with every Linux desktop keeps ALSA and PulseAudio libraries
//! out of the build and works the same under a kiosk session or a bare console. The choice is made at
//! each play and each health probe, from what is on `PATH` and which sound devices exist, so a USB
//! speaker plugged in later (or a sound server that starts after the terminal) is picked up without a
//! restart — hot-plug recovery as §4.8 of the brief asks. Which player is used:
//!
//! 1. `paplay` when a sound server socket is present (`$PULSE_SERVER`, or `pulse/native` under
//!    `$XDG_RUNTIME_DIR`, which PipeWire's pulse layer also provides);
//! 2. else `aplay` when the kernel has a playback PCM device (`/dev/snd/pcmC*D*p`);
//! 3. else nothing: health is `offline` with the reason and playing fails with `voice.no_output`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::announcement::Announcement;
use crate::error::VoiceError;
use crate::health::Health;
use crate::sink::AudioSink;

/// Where the sink looks for players and sound devices; [`AudioEnvironment::system`] for real use.
#[derive(Debug, Clone)]
pub struct AudioEnvironment {
    /// Directories searched for `paplay` and `aplay`, in order (as `PATH`).
    pub search_path: Vec<PathBuf>,
    /// The ALSA device directory, normally `/dev/snd`.
    pub sound_devices: PathBuf,
    /// Whether a PulseAudio-compatible server is reachable for `paplay`.
    pub sound_server: bool,
}

impl AudioEnvironment {
    /// This machine's `PATH`, `/dev/snd` and sound server socket.
    pub fn system() -> Self {
        let search_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let runtime_socket = std::env::var_os("XDG_RUNTIME_DIR")
            .map(|dir| Path::new(&dir).join("pulse/native"))
            .is_some_and(|socket| socket.exists());
        Self {
            search_path,
            sound_devices: PathBuf::from("/dev/snd"),
            sound_server: runtime_socket || std::env::var_os("PULSE_SERVER").is_some(),
        }
    }

    fn find(&self, program: &str) -> Option<PathBuf> {
        self.search_path
            .iter()
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    }

    /// Whether the kernel exposes a playback PCM (`pcmC<card>D<device>p`).
    fn has_playback_device(&self) -> bool {
        std::fs::read_dir(&self.sound_devices)
            .map(|entries| {
                entries.filter_map(Result::ok).any(|entry| {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("pcmC") && name.ends_with('p')
                })
            })
            .unwrap_or(false)
    }

    /// The player to use now, or why there is none.
    fn choose(&self) -> Result<Player, String> {
        let paplay = self.find("paplay");
        let aplay = self.find("aplay");
        if let (Some(program), true) = (&paplay, self.sound_server) {
            return Ok(Player {
                program: program.clone(),
                args: vec![],
            });
        }
        if let (Some(program), true) = (&aplay, self.has_playback_device()) {
            return Ok(Player {
                program: program.clone(),
                args: vec!["-q".into()],
            });
        }
        let paplay_why = match paplay {
            Some(_) => "paplay found but no sound server is running",
            None => "paplay not found",
        };
        let aplay_why = match aplay {
            Some(_) => format!(
                "aplay found but {} has no playback device",
                self.sound_devices.display()
            ),
            None => "aplay not found".to_owned(),
        };
        Err(format!("{paplay_why}; {aplay_why}"))
    }
}

#[derive(Debug)]
struct Player {
    program: PathBuf,
    args: Vec<OsString>,
}

/// Plays announcements with `paplay` or `aplay`, chosen at each play.
#[derive(Debug)]
pub struct CommandSink {
    environment: AudioEnvironment,
}

impl CommandSink {
    /// A sink for this machine ([`AudioEnvironment::system`]).
    pub fn system() -> Self {
        Self::new(AudioEnvironment::system())
    }

    pub fn new(environment: AudioEnvironment) -> Self {
        Self { environment }
    }
}

impl AudioSink for CommandSink {
    fn play(&self, announcement: &Announcement) -> Result<(), VoiceError> {
        let player = self
            .environment
            .choose()
            .map_err(|detail| VoiceError::NoOutput { detail })?;
        // Players read files more reliably than stdin (paplay needs a seekable file to learn the format).
        let file = tempfile::Builder::new()
            .prefix("banshi-call-")
            .suffix(".wav")
            .tempfile()
            .map_err(|source| VoiceError::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        announcement.write_wav(file.path())?;
        let program = player.program.display().to_string();
        let failed = |detail: String| VoiceError::PlaybackFailed {
            program: program.clone(),
            detail,
        };
        let output = Command::new(&player.program)
            .args(&player.args)
            .arg(file.path())
            .output()
            .map_err(|e| failed(e.to_string()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(format!("{}: {}", output.status, stderr.trim())));
        }
        tracing::debug!(%program, ticket = announcement.ticket(), "announcement played");
        Ok(())
    }

    fn health(&self) -> Health {
        match self.environment.choose() {
            Ok(_) => Health::ok(),
            Err(reason) => Health::offline(format!("no audio output: {reason}")),
        }
    }
}
