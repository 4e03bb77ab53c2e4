//! Where announcements go: the [`AudioSink`] trait and the sinks that do not need a sound card.
//!
//! Sinks are blocking on purpose: playing takes as long as the audio lasts, and the queue
//! ([`crate::CallQueue`]) calls them from its own thread so async callers never wait on a speaker.
//! [`WavFileSink`] is the demo hall's and the installer's output (one WAV per call, to listen to later);
//! [`RecordingSink`] keeps what would have been played so tests can check it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::announcement::Announcement;
use crate::error::VoiceError;
use crate::health::Health;

/// Something that can sound an announcement.
pub trait AudioSink: Send + Sync + std::fmt::Debug {
    /// Plays `announcement` to its end. Blocks for as long as that takes.
    fn play(&self, announcement: &Announcement) -> Result<(), VoiceError>;

    /// Whether the sink can play now (`offline` with the reason when it cannot).
    fn health(&self) -> Health;
}

/// Keeps every announcement it is given, in order (tests and diagnostics).
#[derive(Debug, Default)]
pub struct RecordingSink {
    played: Mutex<Vec<Announcement>>,
}

impl RecordingSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// The announcements played so far, oldest first.
    pub fn played(&self) -> Vec<Announcement> {
        self.played
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl AudioSink for RecordingSink {
    fn play(&self, announcement: &Announcement) -> Result<(), VoiceError> {
        self.played
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(announcement.clone());
        Ok(())
    }

    fn health(&self) -> Health {
        Health::ok()
    }
}

/// Writes each announcement to `dir` as `NNNNNN-<ticket>-<language>.wav`, numbered in playing order, with its
/// clip tokens beside it in a `.txt` of the same name.
#[derive(Debug)]
pub struct WavFileSink {
    dir: PathBuf,
    next: AtomicU64,
}

impl WavFileSink {
    /// The directory is created on first use; existing files are never overwritten.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            next: AtomicU64::new(1),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn create_dir(&self) -> Result<(), VoiceError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| VoiceError::Io {
            path: self.dir.clone(),
            source,
        })
    }
}

impl AudioSink for WavFileSink {
    fn play(&self, announcement: &Announcement) -> Result<(), VoiceError> {
        self.create_dir()?;
        // Tickets are letters and digits (checked when parsed), so they are safe in a file name.
        let path = loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let name = format!(
                "{n:06}-{}-{}.wav",
                announcement.ticket(),
                announcement.language()
            );
            let path = self.dir.join(name);
            if !path.exists() {
                break path;
            }
        };
        announcement.write_wav(&path)?;
        // Beside the sound, the clip tokens it was made of: what a test or an installer checks without
        // listening ("chime please letter_A digit_0 …").
        let script = path.with_extension("txt");
        std::fs::write(&script, announcement.tokens().join(" ")).map_err(|source| {
            VoiceError::Io {
                path: script.clone(),
                source,
            }
        })?;
        tracing::info!(path = %path.display(), ticket = announcement.ticket(), "announcement written");
        Ok(())
    }

    fn health(&self) -> Health {
        match self.create_dir() {
            Ok(()) => Health::ok(),
            Err(error) => Health::offline(error.to_string()),
        }
    }
}
